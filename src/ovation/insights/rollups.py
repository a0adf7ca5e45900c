"""Building and maintaining the insights rollups (models.py): reads of the other modules'
tables only, grouped in the database, written to insights' own tables.

- MonthlyCell: NPS answers, referral clicks and activities are append-only, so they are folded
  in incrementally above an id watermark (FillState); referral leads change status, so their
  columns are regrouped as a whole (a small table) when a referral event arrives.
- AccountFact: refreshed per account (a task keyed by the account id) when an event touches
  one of its contacts, and rebuilt for every account by recompute."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.directory.models import Account, Contact

from .models import AccountFact, ArrSnapshot, FillState, MonthlyCell

KEY = ("month", "industry_id", "region_id", "csm_id", "product_id")
MEASURES = (
    "responses",
    "promoters",
    "passives",
    "detractors",
    "clicks",
    "leads",
    "qualified",
    "won",
    "referred_revenue",
    "activities",
)
REFERRAL_MEASURES = ("leads", "qualified", "won", "referred_revenue")
CUSTOMER_STATUSES = ["onboarding", "active", "at_risk", "churned"]


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


# --- sources: (queryset, path to the account, time field, measures) -------------------------


def _sources() -> dict:
    """Each watermarked source: model, path from a row to its account, time field, and the
    aggregate expressions it adds to a cell."""
    from ovation.pulse.models import Response
    from ovation.referrals.models import ReferralClick

    return {
        "nps": (
            Response.objects.all(),
            "account",
            "answered_at",
            {
                "responses": Count("id"),
                "promoters": Count("id", filter=Q(score__gte=9)),
                "passives": Count("id", filter=Q(score__gte=7, score__lte=8)),
                "detractors": Count("id", filter=Q(score__lte=6)),
            },
        ),
        "clicks": (
            ReferralClick.objects.filter(is_bot=False, is_duplicate=False),
            "link__contact__account",
            "clicked_at",
            {"clicks": Count("id")},
        ),
        "activities": (
            Activity.objects.all(),
            "account",
            "occurred_at",
            {"activities": Count("id")},
        ),
    }


def _referral_source():
    from ovation.referrals.models import Referral

    return (
        Referral.objects.filter(counts=True),
        "referrer__account",
        "created_at",
        {
            "leads": Count("id"),
            "qualified": Count(
                "id", filter=Q(stage_reached__in=["qualified", "opportunity", "won"])
            ),
            "won": Count("id", filter=Q(status="won")),
            "referred_revenue": Sum("deal_amount", filter=Q(status="won")),
        },
    )


def _month_expr(time_field: str):
    """The month of a timestamp, computed in SQL: a substring of the stored UTC text on SQLite
    (no per-row Python function), date_trunc on PostgreSQL."""
    if connection.vendor == "sqlite" and settings.TIME_ZONE == "UTC":
        return Substr(time_field, 1, 7, output_field=CharField())
    return TruncMonth(time_field)


def _month_value(value) -> date:
    if isinstance(value, str):
        return date(int(value[:4]), int(value[5:7]), 1)
    return month_start(_as_date(value))


def account_segments(account_ids) -> dict[int, tuple[int, int, int, tuple[int, ...]]]:
    """account id -> (industry, region, csm, product ids), in two queries per 20,000."""
    ids = [i for i in set(account_ids) if i]
    out: dict[int, tuple[int, int, int, tuple[int, ...]]] = {}
    through = Account.products.through
    for start in range(0, len(ids), 20_000):
        chunk = ids[start : start + 20_000]
        products: dict[int, list[int]] = defaultdict(list)
        for account_id, product_id in through.objects.filter(account_id__in=chunk).values_list(
            "account_id", "product_id"
        ):
            products[account_id].append(product_id)
        for pk, ind, reg, csm in Account.objects.filter(pk__in=chunk).values_list(
            "id", "industry_id", "region_id", "csm_owner_id"
        ):
            out[pk] = (ind or 0, reg or 0, csm or 0, tuple(sorted(products.get(pk, ()))))
    return out


def _grouped(qs, account_path: str, time_field: str, aggs: dict) -> dict[tuple, dict]:
    """cell key -> measures. The database groups the rows by (account, month); Python then
    adds each account-month into its segment cell, once for "all products" (product 0) and
    once per product of the account."""
    account_field = f"{account_path}_id"
    rows = list(
        qs.order_by()
        .annotate(m=_month_expr(time_field))
        .values(account_field, "m")
        .annotate(**aggs)
    )
    segments = account_segments(r[account_field] for r in rows)
    out: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["m"] is None:
            continue
        month = _month_value(r["m"])
        industry, region, csm, products = segments.get(r[account_field], (0, 0, 0, ()))
        for product in (0, *products):
            acc = out[(month, industry, region, csm, product)]
            for name in aggs:
                acc[name] += r[name] or 0
    return out


def _insert_cells(cells: dict[tuple, dict]) -> None:
    """Plain executemany: bulk_create's per-value preparation dominates at 100k cells."""
    columns = [*KEY, *MEASURES]
    table = connection.ops.quote_name(MonthlyCell._meta.db_table)
    # identifiers come from the model, never from input
    sql = (
        f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = []
    for key, measures in cells.items():
        values = [measures.get(m) or 0 for m in MEASURES]
        rows.append((*key, *[str(v) if isinstance(v, Decimal) else v for v in values]))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _add(cells: dict[tuple, dict]) -> int:
    """Add measures into MonthlyCell rows (creating the missing ones); callers hold a
    transaction. Existing rows are updated with F() so concurrent adds do not lose counts."""
    if not cells:
        return 0
    months = {k[0] for k in cells}
    existing = {
        tuple(r[f] for f in KEY): r["id"]
        for r in MonthlyCell.objects.filter(month__in=months).values("id", *KEY)
    }
    new = []
    for key, measures in cells.items():
        if key in existing:
            MonthlyCell.objects.filter(pk=existing[key]).update(
                **{name: F(name) + value for name, value in measures.items() if value}
            )
        else:
            new.append(key)
    _insert_cells({key: cells[key] for key in new})
    return len(cells)


def cells_catch_up(name: str, *, limit: int = 200_000) -> int:
    """Fold the rows of one append-only source above its watermark into the cells. Safe to run
    concurrently: the watermark row is locked while the batch is added."""
    qs, path, time_field, aggs = _sources()[name]
    with transaction.atomic():
        state, _ = FillState.objects.select_for_update().get_or_create(name=name)
        top = (
            qs.model.objects.filter(pk__gt=state.last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[limit - 1 : limit]
        )
        hi = (
            top[0] if top else qs.model.objects.order_by("-pk").values_list("pk", flat=True).first()
        )
        if not hi or hi <= state.last_id:
            return 0
        cells = _grouped(qs.filter(pk__gt=state.last_id, pk__lte=hi), path, time_field, aggs)
        _add(cells)
        folded = hi - state.last_id
        state.last_id = hi
        state.save(update_fields=["last_id", "updated_at"])
    return folded


def cells_behind() -> list[str]:
    """The watermarked sources with rows not yet folded in (one indexed MAX(id) each)."""
    states = dict(FillState.objects.values_list("name", "last_id"))
    behind = []
    for name, (qs, *_rest) in _sources().items():
        top = qs.model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if top > states.get(name, 0):
            behind.append(name)
    return behind


def referral_cells_refresh() -> int:
    """Regroup the referral columns of every cell (referrals change status after creation)."""
    qs, path, time_field, aggs = _referral_source()
    cells = _grouped(qs, path, time_field, aggs)
    with transaction.atomic():
        MonthlyCell.objects.update(**dict.fromkeys(REFERRAL_MEASURES, 0))
        _add({k: dict(meas) for k, meas in cells.items()})
    return len(cells)


def cells_rebuild(progress=None) -> int:
    """Every cell from scratch: each source grouped in SQL below its current max id, and the
    watermarks set to those ids (rows written meanwhile are folded by the next catch-up)."""
    say = progress or (lambda line: None)
    merged: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    marks = {}
    for name, (qs, path, time_field, aggs) in _sources().items():
        hi = qs.model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        marks[name] = hi
        for key, measures in _grouped(qs.filter(pk__lte=hi), path, time_field, aggs).items():
            for m, v in measures.items():
                merged[key][m] += v
        say(f"cells: {name} grouped")
    qs, path, time_field, aggs = _referral_source()
    for key, measures in _grouped(qs, path, time_field, aggs).items():
        for m, v in measures.items():
            merged[key][m] += v
    with transaction.atomic():
        MonthlyCell.objects.all().delete()
        _insert_cells(merged)
        for name, hi in marks.items():
            FillState.objects.update_or_create(name=name, defaults={"last_id": hi})
    say(f"cells: {len(merged)} rows")
    return len(merged)


# --- account facts -------------------------------------------------------------------------


def _churned_on(row: dict, previous: date | None, today: date) -> date | None:
    if row["status"] != Account.Status.CHURNED:
        return None
    if previous:
        return previous
    renewal = row["renewal_date"]
    if (
        renewal
        and renewal <= today
        and (not row["customer_since"] or renewal > row["customer_since"])
    ):
        return renewal
    return _as_date(timezone.localtime(row["updated_at"]))


def facts_refresh(account_ids=None, progress=None) -> int:
    """(Re)write AccountFact for the given accounts (all customer accounts when None)."""
    from ovation.hub.models import HubProfile
    from ovation.referrals.selectors import referral_pairs

    today = timezone.localdate()
    accounts = Account.objects.filter(status__in=CUSTOMER_STATUSES)
    if account_ids is not None:
        account_ids = [a for a in set(account_ids) if a]
        if not account_ids:
            return 0
        accounts = accounts.filter(pk__in=account_ids)
    rows = list(
        accounts.order_by().values(
            "id",
            "industry_id",
            "region_id",
            "csm_owner_id",
            "status",
            "arr",
            "customer_since",
            "renewal_date",
            "updated_at",
        )
    )
    ids = [r["id"] for r in rows]
    id_filter = {} if account_ids is None else {"account_id__in": ids}
    contact_counts = {
        r["account_id"]: r
        for r in Contact.objects.filter(is_active=True, **id_filter)
        .exclude(account_id=None)
        .order_by()
        .values("account_id")
        .annotate(
            n=Count("id"),
            promoters=Count("id", filter=Q(stage="promoter")),
            advocates=Count("id", filter=Q(stage__in=["advocate", "champion"])),
            champions=Count("id", filter=Q(stage="champion")),
        )
    }
    hub_filter = {} if account_ids is None else {"contact__account_id__in": ids}
    active_since = timezone.now() - timedelta(days=90)
    hub_counts = {
        r["contact__account_id"]: r
        for r in HubProfile.objects.filter(**hub_filter)
        .order_by()
        .values("contact__account_id")
        .annotate(
            invited=Count("contact_id", filter=Q(invited_at__isnull=False)),
            active=Count("contact_id", filter=Q(last_seen_at__gte=active_since)),
        )
    }
    referred: dict[int, tuple[int | None, date | None]] = {}
    for pair in referral_pairs(won_only=True):
        acc = pair["referee_account_id"]
        if acc and acc not in referred:
            won = pair["won_at"]
            referred[acc] = (
                pair["referrer__account_id"],
                _as_date(timezone.localtime(won)) if won else None,
            )
    year_ago = add_months(month_start(today), -12)
    snaps = ArrSnapshot.objects.filter(month=year_ago)
    if account_ids is not None:
        snaps = snaps.filter(account_id__in=ids)
    arr_year_ago = dict(snaps.values_list("account_id", "arr"))
    prev_qs = AccountFact.objects.exclude(churned_on=None)
    if account_ids is not None:
        prev_qs = prev_qs.filter(account_id__in=ids)
    previous = dict(prev_qs.values_list("account_id", "churned_on"))
    facts = []
    for r in rows:
        c = contact_counts.get(r["id"], {})
        h = hub_counts.get(r["id"], {})
        ref = referred.get(r["id"])
        facts.append(
            AccountFact(
                account_id=r["id"],
                industry_id=r["industry_id"] or 0,
                region_id=r["region_id"] or 0,
                csm_id=r["csm_owner_id"] or 0,
                status=r["status"],
                arr=r["arr"] or Decimal(0),
                arr_year_ago=arr_year_ago.get(r["id"]),
                customer_since=r["customer_since"],
                churned_on=_churned_on(r, previous.get(r["id"]), today),
                contacts=c.get("n", 0),
                promoters=c.get("promoters", 0),
                advocates=c.get("advocates", 0),
                champions=c.get("champions", 0),
                hub_invited=h.get("invited", 0),
                hub_active=h.get("active", 0),
                is_referred=ref is not None,
                referrer_account_id=ref[0] if ref else None,
                referred_on=ref[1] if ref else None,
            )
        )
    with transaction.atomic():
        if account_ids is None:
            AccountFact.objects.exclude(account_id__in=ids).delete()
        else:
            # accounts that stopped being customers (back to prospect) leave the facts
            AccountFact.objects.filter(account_id__in=set(account_ids) - set(ids)).delete()
        fields = [f.name for f in AccountFact._meta.concrete_fields if f.name != "account"]
        AccountFact.objects.bulk_create(
            facts,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=fields,
        )
    if progress:
        progress(f"account facts: {len(facts)} accounts")
    return len(facts)


def arr_snapshot_take(*, month: date | None = None) -> int:
    """Record every customer account's ARR for the month (idempotent: one row per month)."""
    month = month or month_start(timezone.localdate())
    rows = Account.objects.filter(status__in=CUSTOMER_STATUSES).values_list("id", "arr")
    objs = [ArrSnapshot(account_id=pk, month=month, arr=arr) for pk, arr in rows]
    ArrSnapshot.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["account", "month"],
        update_fields=["arr"],
    )
    return len(objs)
