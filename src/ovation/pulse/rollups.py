"""Maintaining the NPS rollup tables: incremental deltas on every write (one INSERT ... ON
CONFLICT DO UPDATE per table, atomic under concurrency on SQLite and PostgreSQL) and full
rebuilds from the Response rows for `ovation recompute`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from .models import NpsAccountMonth, NpsContactLatest, NpsSegmentDay, Response
from .segments import ALL, account_segment_map
from .stats import PASSIVE, PROMOTER, category, month_start

COUNTERS = ("responses", "promoters", "passives", "detractors", "score_sum")


def _counts(score: int, sign: int) -> tuple[int, int, int, int, int]:
    cat = category(score)
    return (
        sign,
        sign if cat == PROMOTER else 0,
        sign if cat == PASSIVE else 0,
        sign if cat not in (PROMOTER, PASSIVE) else 0,
        sign * score,
    )


def _local_day(at: datetime) -> date:
    return timezone.localtime(at).date() if timezone.is_aware(at) else at.date()


def _upsert(table: str, keys: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = [*keys, *COUNTERS]
    placeholders = ", ".join(["%s"] * len(cols))
    updates = ", ".join(f"{qn(c)} = {qn(table)}.{qn(c)} + excluded.{qn(c)}" for c in COUNTERS)
    # Table and column names come from model metadata, values are parameters.
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in cols)}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(qn(k) for k in keys)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rollup_apply(entries: list[tuple[int | None, datetime, int, str, int]]) -> None:
    """entries: (account_id, answered_at, score, contact_stage, sign) with sign +1 to add a
    response and -1 to take it away (an updated answer is -old then +new)."""
    if not entries:
        return
    segments = account_segment_map(e[0] for e in entries if e[0])
    by_account: dict[tuple, list[int]] = defaultdict(lambda: [0] * 5)
    by_segment: dict[tuple, list[int]] = defaultdict(lambda: [0] * 5)
    for account_id, at, score, stage, sign in entries:
        counts = _counts(score, sign)
        day = _local_day(at)
        keys = list(segments.get(account_id, [ALL])) if account_id else [ALL]
        if stage:
            keys.append(("stage", stage))
        for dim, value in keys:
            acc = by_segment[(dim, value, day)]
            for i, c in enumerate(counts):
                acc[i] += c
        if account_id:
            acc = by_account[(account_id, month_start(day))]
            for i, c in enumerate(counts):
                acc[i] += c
    _upsert(
        NpsSegmentDay._meta.db_table,
        ("dimension", "value", "day"),
        [(d, v, day, *c) for (d, v, day), c in by_segment.items()],
    )
    _upsert(
        NpsAccountMonth._meta.db_table,
        ("account_id", "month"),
        [(a, m, *c) for (a, m), c in by_account.items()],
    )


def latest_refresh(contact_id: int) -> None:
    """Point the contact's NpsContactLatest row at their latest response (or remove it)."""
    latest = (
        Response.objects.filter(contact_id=contact_id)
        .order_by("-answered_at", "-id")
        .values("id", "account_id", "score", "answered_at")
        .first()
    )
    if latest is None:
        NpsContactLatest.objects.filter(contact_id=contact_id).delete()
        return
    NpsContactLatest.objects.update_or_create(
        contact_id=contact_id,
        defaults={
            "response_id": latest["id"],
            "account_id": latest["account_id"],
            "score": latest["score"],
            "answered_at": latest["answered_at"],
        },
    )


@transaction.atomic
def rollup_rebuild(progress=None) -> dict[str, int]:
    """Rebuild every NPS rollup from the Response rows (streamed, in batches)."""
    NpsSegmentDay.objects.all().delete()
    NpsAccountMonth.objects.all().delete()
    NpsContactLatest.objects.all().delete()
    rows = Response.objects.order_by().values_list(
        "account_id", "answered_at", "score", "contact_stage"
    )
    batch: list = []
    n = 0
    for account_id, at, score, stage in rows.iterator(chunk_size=20000):
        batch.append((account_id, at, score, stage, 1))
        if len(batch) >= 50000:
            rollup_apply(batch)
            n += len(batch)
            batch = []
            if progress:
                progress(n)
    rollup_apply(batch)
    n += len(batch)
    _latest_rebuild()
    return {"responses": n}


def _latest_rebuild() -> None:
    table = NpsContactLatest._meta.db_table
    src = Response._meta.db_table
    qn = connection.ops.quote_name
    # Each contact's latest response: the greatest (answered_at, id). Names from model metadata.
    sql = f"""
        INSERT INTO {qn(table)} (contact_id, account_id, response_id, score, answered_at)
        SELECT r.contact_id, r.account_id, r.id, r.score, r.answered_at
        FROM {qn(src)} r
        WHERE r.id = (
            SELECT r2.id FROM {qn(src)} r2 WHERE r2.contact_id = r.contact_id
            ORDER BY r2.answered_at DESC, r2.id DESC LIMIT 1
        )
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
