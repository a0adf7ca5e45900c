"""`ovation recompute` for Pulse: due campaigns and reminders, NPS rollups, themes, every
contact's stage history under the current definition, and the monthly advocacy snapshots.
Derived data only, so it is safe to re-run: the second run finds nothing to change."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ovation.activity.services import event_publish
from ovation.directory.models import Contact

from . import stages, stats
from .models import AdvocacySnapshot, Response, ResponseTheme
from .rollups import rollup_rebuild
from .segments import account_segment_map, customer_contacts
from .selectors import TREND_MONTHS
from .services import (
    advocate_definition_current,
    campaigns_dispatch_due,
    contact_stage_evidence,
    transitions_sync,
)
from .themes import classify, theme_text


def _say(progress, message: str) -> None:
    if progress is not None:
        progress(message)


def run(progress=None, *, publish_events: bool = True) -> dict:
    """Recompute everything Pulse derives. `progress` is an optional callable(str)."""
    result: dict = {}
    _say(progress, "pulse: due campaigns and reminders")
    result.update(campaigns_dispatch_due())
    _say(progress, "pulse: NPS rollups")
    result.update(rollup_rebuild())
    _say(progress, "pulse: themes")
    result["themes"] = themes_rebuild()
    _say(progress, "pulse: stages")
    result.update(stages_recompute(publish_events=publish_events))
    _say(progress, "pulse: advocacy snapshots")
    result["snapshots"] = snapshots_rebuild(result.pop("_histories"))
    return result


@transaction.atomic
def themes_rebuild() -> int:
    ResponseTheme.objects.all().delete()
    rows = []
    n = 0
    qs = (
        Response.objects.exclude(improvement="", reason="")
        .order_by()
        .values_list("id", "account_id", "answered_at", "score", "reason", "improvement")
    )
    for rid, account_id, at, score, reason, improvement in qs.iterator(chunk_size=10000):
        for theme, terms in classify(theme_text(score, reason, improvement)).items():
            rows.append(
                ResponseTheme(
                    response_id=rid,
                    theme=theme,
                    terms=", ".join(terms)[:200],
                    account_id=account_id,
                    answered_at=at,
                    score=score,
                )
            )
        if len(rows) >= 10000:
            ResponseTheme.objects.bulk_create(rows)
            n += len(rows)
            rows = []
    ResponseTheme.objects.bulk_create(rows)
    return n + len(rows)


def stages_recompute(*, publish_events: bool = True) -> dict:
    definition = advocate_definition_current()
    rules = stages.Rules.from_definition(definition)
    now = timezone.now()
    nps, acts = contact_stage_evidence(None, list(rules.advocacy_kinds))
    contact_ids = set(nps) | set(acts)
    histories = {
        cid: stages.stage_history(nps.get(cid, []), acts.get(cid, []), rules, now)
        for cid in contact_ids
    }
    current = dict(Contact.objects.exclude(stage=stages.CUSTOMER).values_list("id", "stage"))
    for cid in current:
        histories.setdefault(cid, [])
    with transaction.atomic():
        rewritten = transitions_sync(histories, definition)
        changes: dict[str, list[int]] = defaultdict(list)
        announcements = []
        stage_now = {}
        for cid, history in histories.items():
            new = history[-1].to_stage if history else stages.CUSTOMER
            stage_now[cid] = new
            old = current.get(cid, stages.CUSTOMER)
            if new != old:
                changes[new].append(cid)
                announcements.append((cid, old, new, history[-1].explanation if history else ""))
        for stage, ids in changes.items():
            for start in range(0, len(ids), 5000):
                Contact.objects.filter(id__in=ids[start : start + 5000]).update(
                    stage=stage, updated_at=now
                )
        if publish_events:
            for cid, old, new, why in announcements:
                event_publish(
                    type="contact.stage_changed",
                    data={
                        "contact_id": cid,
                        "from": old,
                        "to": new,
                        "explanation": why,
                        "definition_version": definition.version,
                        "source": "recompute",
                    },
                    contact=Contact(pk=cid),
                )
    return {
        "stage_changes": sum(len(v) for v in changes.values()),
        "histories_rewritten": rewritten,
        "_histories": histories,
    }


def _month_ends(now: datetime) -> list[tuple]:
    today = timezone.localdate()
    first = stats.add_months(stats.month_start(today), -(TREND_MONTHS - 1))
    out = []
    for month in stats.months_between(first, today):
        nxt = stats.add_months(month, 1)
        end = timezone.make_aware(datetime.combine(nxt, time.min)) - timedelta(microseconds=1)
        out.append((month, min(end, now)))
    return out


@transaction.atomic
def snapshots_rebuild(histories: dict[int, list[stages.Change]] | None = None) -> int:
    """Monthly advocacy per segment from the stage histories: the denominators are today's
    customer contacts and accounts (the directory keeps no history of account status)."""
    definition = advocate_definition_current()
    now = timezone.now()
    if histories is None:
        histories = _histories_from_db()
    customers = list(customer_contacts().values_list("id", "account_id"))
    seg_map = account_segment_map(a for _, a in customers)
    contacts_per_seg: dict[tuple, int] = defaultdict(int)
    accounts_per_seg: dict[tuple, set] = defaultdict(set)
    for _, account_id in customers:
        for seg in seg_map.get(account_id, []):
            contacts_per_seg[seg] += 1
            accounts_per_seg[seg].add(account_id)
    months = _month_ends(now)
    rank = stages.RANK
    # counts[(month, seg)] = [promoters, advocates, champions]
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    advocates_in_account: dict[tuple, int] = defaultdict(int)
    for cid, account_id in customers:
        history = histories.get(cid)
        if not history:
            continue
        times = [c.at for c in history]
        segs = seg_map.get(account_id, [])
        for month, end in months:
            i = bisect.bisect_right(times, end)
            if i == 0:
                continue
            r = rank[history[i - 1].to_stage]
            if r == 0:
                continue
            if r >= rank[stages.ADVOCATE]:
                advocates_in_account[(month, account_id)] += 1
            for seg in segs:
                c = counts[(month, seg)]
                c[0] += 1
                if r >= rank[stages.ADVOCATE]:
                    c[1] += 1
                if r >= rank[stages.CHAMPION]:
                    c[2] += 1
    advocate_accounts: dict[tuple, int] = defaultdict(int)
    for (month, account_id), n in advocates_in_account.items():
        if n >= definition.account_min_advocates:
            for seg in seg_map.get(account_id, []):
                advocate_accounts[(month, seg)] += 1
    rows = []
    for month, _ in months:
        for seg, n_contacts in contacts_per_seg.items():
            p, a, ch = counts.get((month, seg), (0, 0, 0))
            rows.append(
                AdvocacySnapshot(
                    month=month,
                    dimension=seg[0],
                    value=seg[1],
                    contacts=n_contacts,
                    promoters=p,
                    advocates=a,
                    champions=ch,
                    accounts=len(accounts_per_seg[seg]),
                    advocate_accounts=advocate_accounts.get((month, seg), 0),
                )
            )
    AdvocacySnapshot.objects.all().delete()
    AdvocacySnapshot.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _histories_from_db() -> dict[int, list[stages.Change]]:
    from .models import StageTransition

    out: dict[int, list[stages.Change]] = defaultdict(list)
    for cid, at, frm, to, why in (
        StageTransition.objects.order_by("contact_id", "occurred_at", "id")
        .values_list("contact_id", "occurred_at", "from_stage", "to_stage", "explanation")
        .iterator(chunk_size=20000)
    ):
        out[cid].append(stages.Change(at, frm, to, why))
    return out
