"""Maintaining the NPS rollup tables: incremental deltas on every write (one INSERT ... ON
CONFLICT DO UPDATE per table, atomic under concurrency on SQLite and PostgreSQL) and full
rebuilds from the Response rows for `ovation recompute`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from ovation.directory.models import Account

from .models import NpsAccountMonth, NpsContactLatest, NpsSegmentDay, Response
from .segments import ALL, account_segment_map
from .stats import ARR_BANDS, PASSIVE, PROMOTER, category, month_start

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


def _band_case():
    whens = []
    for key, _, low, high in ARR_BANDS:
        cond = Q(account__arr__gte=low)
        if high is not None:
            cond &= Q(account__arr__lt=high)
        whens.append(When(cond, then=Value(key)))
    return Case(*whens, default=Value(ARR_BANDS[0][0]), output_field=CharField())


_SUMS = {
    "responses": Count("id"),
    "promoters": Count("id", filter=Q(score__gte=9)),
    "passives": Count("id", filter=Q(score__gte=7, score__lte=8)),
    "detractors": Count("id", filter=Q(score__lte=6)),
    "score_sum": Sum("score"),
}


def _day_month_sql() -> tuple[str, str] | None:
    """SQL for the local day and month of r.answered_at, when the database can do it cheaply
    (None: fall back to the ORM's per-row conversion)."""
    from zoneinfo import available_timezones

    from django.conf import settings

    tz = settings.TIME_ZONE
    if connection.vendor == "sqlite" and tz == "UTC":
        return "substr(r.answered_at, 1, 10)", "substr(r.answered_at, 1, 7) || '-01'"
    if connection.vendor == "postgresql" and tz in available_timezones():
        local = f"(r.answered_at AT TIME ZONE '{tz}')"
        return f"{local}::date", f"date_trunc('month', {local})::date"
    return None


@transaction.atomic
def rollup_rebuild(progress=None) -> dict[str, int]:
    """Rebuild every NPS rollup from the Response rows, in the database: one
    INSERT ... SELECT ... GROUP BY per segment dimension (seconds at a million responses)."""
    NpsSegmentDay.objects.all().delete()
    NpsAccountMonth.objects.all().delete()
    NpsContactLatest.objects.all().delete()
    exprs = _day_month_sql()
    if exprs is None:
        _rollup_rebuild_orm(progress)
    else:
        _rollup_rebuild_sql(*exprs, progress=progress)
    _latest_rebuild()
    return {
        "responses": Response.objects.count(),
        "segment_days": NpsSegmentDay.objects.count(),
    }


def _rollup_rebuild_sql(day: str, month: str, progress=None) -> None:
    qn = connection.ops.quote_name
    resp = qn(Response._meta.db_table)
    account = qn(Account._meta.db_table)
    products = qn(Account.products.through._meta.db_table)
    band = (
        "CASE "
        + " ".join(
            f"WHEN a.arr >= {int(low)}"
            + (f" AND a.arr < {int(high)}" if high is not None else "")
            + f" THEN '{key}'"
            for key, _, low, high in ARR_BANDS
        )
        + f" ELSE '{ARR_BANDS[0][0]}' END"
    )
    sums = (
        "count(*), sum(CASE WHEN r.score >= 9 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN r.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END),"
        " sum(CASE WHEN r.score <= 6 THEN 1 ELSE 0 END), sum(r.score)"
    )
    joins = {
        "all": ("''", "", ""),
        "stage": ("r.contact_stage", "", "r.contact_stage <> ''"),
        "industry": ("CAST(a.industry_id AS TEXT)", f"JOIN {account} a ON a.id = r.account_id", "a.industry_id IS NOT NULL"),
        "region": ("CAST(a.region_id AS TEXT)", f"JOIN {account} a ON a.id = r.account_id", "a.region_id IS NOT NULL"),
        "employee_band": ("a.employee_band", f"JOIN {account} a ON a.id = r.account_id", "a.employee_band <> ''"),
        "csm": ("CAST(a.csm_owner_id AS TEXT)", f"JOIN {account} a ON a.id = r.account_id", "a.csm_owner_id IS NOT NULL"),
        "arr_band": (band, f"JOIN {account} a ON a.id = r.account_id", ""),
        "product": ("CAST(ap.product_id AS TEXT)", f"JOIN {products} ap ON ap.account_id = r.account_id", ""),
    }  # fmt: skip
    table = qn(NpsSegmentDay._meta.db_table)
    cols = "dimension, value, day, responses, promoters, passives, detractors, score_sum"
    with connection.cursor() as cursor:
        for dim, (value, join, where) in joins.items():
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT %s, {value}, {day}, {sums}"  # noqa: S608
                f" FROM {resp} r {join} {'WHERE ' + where if where else ''}"
                f" GROUP BY {day if dim == 'all' else value + ', ' + day}",
                [dim],
            )
            if progress:
                progress(dim)
        months = qn(NpsAccountMonth._meta.db_table)
        cursor.execute(
            f"INSERT INTO {months} (account_id, month, responses, promoters, passives,"  # noqa: S608
            f" detractors, score_sum) SELECT r.account_id, {month}, {sums} FROM {resp} r"
            f" WHERE r.account_id IS NOT NULL GROUP BY r.account_id, {month}"
        )


def _rollup_rebuild_orm(progress=None) -> None:
    base = Response.objects.order_by().annotate(d=TruncDate("answered_at"))
    dimensions = {
        "all": None,
        "industry": "account__industry_id",
        "region": "account__region_id",
        "product": "account__products",
        "employee_band": "account__employee_band",
        "csm": "account__csm_owner_id",
        "stage": "contact_stage",
        "arr_band": "band",
    }
    rows: list[NpsSegmentDay] = []
    for dim, field in dimensions.items():
        qs = base
        if dim == "arr_band":
            qs = qs.filter(account__isnull=False).annotate(band=_band_case())
        keys = ["d"] if field is None else ["d", field]
        for r in qs.values(*keys).annotate(**_SUMS):
            value = "" if field is None else r[field]
            if field is not None and value in (None, ""):
                continue
            rows.append(
                NpsSegmentDay(
                    day=r["d"],
                    dimension=dim,
                    value=str(value),
                    **{k: r[k] or 0 for k in _SUMS},
                )
            )
        if progress:
            progress(dim)
    NpsSegmentDay.objects.bulk_create(rows, batch_size=5000)
    months = [
        NpsAccountMonth(account_id=r["account_id"], month=r["m"], **{k: r[k] or 0 for k in _SUMS})
        for r in Response.objects.order_by()
        .filter(account__isnull=False)
        .annotate(m=TruncMonth("answered_at"))
        .values("account_id", "m")
        .annotate(**_SUMS)
    ]
    for m in months:
        m.month = m.month.date() if hasattr(m.month, "date") else m.month
    NpsAccountMonth.objects.bulk_create(months, batch_size=5000)


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
