"""Background work for Pulse. Tasks take ids, call one service and are safe to retry."""

from django_tasks import task


@task()
def campaign_send_task(campaign_id: int) -> int:
    from .services import campaign_send

    return campaign_send(campaign_id=campaign_id)


@task()
def campaign_remind_task(campaign_id: int) -> int:
    from .services import campaign_remind

    return campaign_remind(campaign_id=campaign_id)


@task()
def follow_up_email_task(follow_up_id: int) -> bool:
    from .services import follow_up_email_send

    return follow_up_email_send(follow_up_id=follow_up_id)


@task()
def contact_stage_sync_task(contact_id: int) -> str | None:
    from .services import contact_stage_sync

    return contact_stage_sync(contact_id=contact_id)


@task()
def recompute_task() -> dict:
    from .recompute import run

    return run()


@task()
def contacts_stage_sync_task(contact_ids: list[int]) -> int:
    """After an import: one task per batch of contacts rather than one per contact."""
    from .services import contact_stage_sync

    return sum(1 for cid in contact_ids if contact_stage_sync(contact_id=cid))
