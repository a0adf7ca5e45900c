"""Background work for insights. Tasks take ids (or nothing), so a retry is harmless.

Scheduling (documented in README and docs): the worker keeps the rollups current as events
arrive; the weekly digest is sent by cron or any scheduler running

    ovation insights digest          # Mondays 07:00, e.g. `0 7 * * 1 ovation insights digest`
    ovation insights refresh         # every 15 minutes: `*/15 * * * * ovation insights refresh`
    ovation insights snapshot        # monthly ARR history: `0 1 1 * * ovation insights snapshot`

which enqueues `digest_send_task`; the task sends at most once per ISO week (DigestRun)."""

from django_tasks import task

from . import rollups


@task()
def account_facts_refresh_task(account_ids: list[int]) -> int:
    return rollups.facts_refresh(account_ids)


@task()
def cells_catch_up_task() -> dict:
    """Fold new NPS answers, referral clicks and activities into the monthly cells."""
    return {name: rollups.cells_catch_up(name) for name in rollups.cells_behind()}


@task()
def referral_cells_refresh_task() -> int:
    return rollups.referral_cells_refresh()


@task()
def insights_refresh_task() -> dict:
    """The periodic top-up (every 15 minutes from cron or a scheduler): new source rows into the
    cells, referral columns regrouped, every account fact rewritten (hub invitations and
    logins publish no event, and "active in the last 90 days" moves with the calendar)."""
    done = {name: rollups.cells_catch_up(name) for name in rollups.cells_behind()}
    done["referrals"] = rollups.referral_cells_refresh()
    done["accounts"] = rollups.facts_refresh()
    return done


@task()
def arr_snapshot_task() -> int:
    return rollups.arr_snapshot_take()


@task()
def digest_send_task(week: str | None = None) -> dict:
    from .digest import digest_send

    return digest_send(week=week)
