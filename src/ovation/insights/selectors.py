"""Reads for the executive dashboard. Heavy numbers come from insights' rollups (MonthlyCell,
AccountFact) and pulse's AdvocacySnapshot; the small tables (reference requests,
opportunities, asks) are read directly. Other modules' selectors are used where they exist:
pulse.advocacy_trend, referrals.referral_pairs (in rollups), motivation's acceptance matrix.

Where no selector exists, this module queries the other apps' models read-only:
references.Opportunity / ReferenceRequest / Assignment / Ask (per-row data for the lift and the
drill-downs), directory.Contact and Account (drill-downs), pulse.Response (drill-down)."""

from __future__ import annotations

import statistics as pystats
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, When
from django.utils import timezone

from ovation.directory.models import Industry, Product, Region
from ovation.users.models import User

from . import stats
from .models import AccountFact, MonthlyCell
from .rollups import add_months, month_start

# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the executive asked for: a date range and a segment (any combination)."""

    start: date
    end: date
    industry: int | None = None
    region: int | None = None
    product: int | None = None
    csm: int | None = None

    @classmethod
    def from_query(cls, params, today: date | None = None) -> Filters:
        today = today or timezone.localdate()
        start = _parse_date(params.get("start")) or add_months(month_start(today), -11)
        end = _parse_date(params.get("end")) or today
        if end < start:
            start, end = end, start
        return cls(
            start=start,
            end=end,
            industry=_parse_int(params.get("industry")),
            region=_parse_int(params.get("region")),
            product=_parse_int(params.get("product")),
            csm=_parse_int(params.get("csm")),
        )

    @property
    def segment(self) -> dict[str, int]:
        return {
            k: v
            for k, v in (
                ("industry", self.industry),
                ("region", self.region),
                ("product", self.product),
                ("csm", self.csm),
            )
            if v
        }

    def query(self, **extra) -> str:
        from urllib.parse import urlencode

        params = {"start": self.start.isoformat(), "end": self.end.isoformat(), **self.segment}
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    def between(self, field_name: str) -> Q:
        """field within [start, end] as an aware datetime range (an index range scan; a
        `__date` lookup would convert every row)."""
        return Q(**{f"{field_name}__gte": day_start(self.start)}) & Q(
            **{f"{field_name}__lt": day_start(self.end + timedelta(days=1))}
        )

    @property
    def months(self) -> list[date]:
        out, m = [], month_start(self.start)
        while m <= self.end:
            out.append(m)
            m = add_months(m, 1)
        return out


def day_start(d: date):
    return timezone.make_aware(datetime(d.year, d.month, d.day))


def _parse_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _parse_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def filter_options() -> dict:
    return {
        "industries": list(Industry.objects.values_list("id", "name")),
        "regions": list(Region.objects.values_list("id", "name")),
        "products": list(Product.objects.values_list("id", "name")),
        "csms": [
            (u.pk, u.full_name or u.email)
            for u in User.objects.filter(role=User.Role.CSM).order_by("full_name", "email")
        ],
    }


def segment_labels(f: Filters, options: dict) -> list[str]:
    out = []
    for attr, key in (
        ("industry", "industries"),
        ("region", "regions"),
        ("product", "products"),
        ("csm", "csms"),
    ):
        value = getattr(f, attr)
        if value:
            names = dict(options[key])
            out.append(names.get(value, f"{attr} {value}"))
    return out


def cells(f: Filters):
    qs = MonthlyCell.objects.filter(
        month__gte=month_start(f.start), month__lte=f.end, product_id=f.product or 0
    )
    for name in ("industry", "region", "csm"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    return qs


def facts(f: Filters):
    qs = AccountFact.objects.all()
    for name in ("industry", "region", "csm"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    if f.product:
        qs = qs.filter(account__products=f.product)
    return qs


def account_q(f: Filters, prefix: str = "account__") -> Q:
    """The segment as a filter on a model that reaches Account through `prefix`."""
    q = Q()
    if f.industry:
        q &= Q(**{f"{prefix}industry_id": f.industry})
    if f.region:
        q &= Q(**{f"{prefix}region_id": f.region})
    if f.csm:
        q &= Q(**{f"{prefix}csm_owner_id": f.csm})
    if f.product:
        q &= Q(**{f"{prefix}products": f.product})
    return q


# --- tables (rendered as HTML and exported as CSV from the same rows) -----------------------


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # drill-down per row (or None)

    @property
    def items(self) -> list[tuple[list, str | None]]:
        return [
            (row, self.links[i] if i < len(self.links) else None) for i, row in enumerate(self.rows)
        ]


# --- sections ------------------------------------------------------------------------------

ACTIVE = ["onboarding", "active", "at_risk"]


def advocacy_section(f: Filters) -> dict:
    """Advocacy rate (contacts and accounts) and the engagement funnel, from AccountFact."""
    row = (
        facts(f)
        .filter(status__in=ACTIVE)
        .aggregate(
            accounts=Count("account_id"),
            advocate_accounts=Count("account_id", filter=Q(advocates__gt=0)),
            contacts=Sum("contacts"),
            invited=Sum("hub_invited"),
            active=Sum("hub_active"),
            promoters=Sum("promoters"),
            advocates=Sum("advocates"),
            champions=Sum("champions"),
        )
    )
    row = {k: v or 0 for k, v in row.items()}
    funnel = [
        ("Customer contacts", row["contacts"], "contacts"),
        ("Invited to the hub", row["invited"], "invited"),
        ("Active in the hub (90 days)", row["active"], "hub-active"),
        ("Advocates (incl. champions)", row["advocates"], "advocates"),
        ("Champions", row["champions"], "champions"),
    ]
    return {
        **row,
        "contact_rate": stats.wilson(row["advocates"], row["contacts"]),
        "account_rate": stats.wilson(row["advocate_accounts"], row["accounts"]),
        "funnel": funnel,
    }


def advocacy_trend(f: Filters) -> list[tuple[date, float | None, float | None]] | None:
    """Monthly advocacy rate from pulse's snapshots: pulse keeps one dimension at a time, so
    with two or more segment filters there is no trend (the page says so)."""
    from ovation.pulse.selectors import advocacy_trend as pulse_trend

    seg = f.segment
    if len(seg) > 1:
        return None
    dimension, value = next(iter(seg.items())) if seg else ("all", "")
    out = []
    for snap in pulse_trend(dimension=dimension, value=str(value) if value else ""):
        if f.start <= add_months(snap.month, 1) and snap.month <= f.end:
            out.append(
                (
                    snap.month,
                    stats.rate(snap.advocates, snap.contacts),
                    stats.rate(snap.advocate_accounts, snap.accounts),
                )
            )
    return out


def monthly_section(f: Filters) -> dict:
    """NPS and referral funnel per month and in total, summed over the cells."""
    rows = {
        r["month"]: r
        for r in cells(f)
        .order_by()
        .values("month")
        .annotate(
            responses=Sum("responses"),
            promoters=Sum("promoters"),
            passives=Sum("passives"),
            detractors=Sum("detractors"),
            clicks=Sum("clicks"),
            leads=Sum("leads"),
            qualified=Sum("qualified"),
            won=Sum("won"),
            revenue=Sum("referred_revenue"),
            activities=Sum("activities"),
        )
    }
    months = f.months
    keys = ("responses", "promoters", "passives", "detractors", "clicks", "leads", "qualified")
    totals = {k: sum((rows.get(m) or {}).get(k) or 0 for m in months) for k in keys}
    totals["won"] = sum((rows.get(m) or {}).get("won") or 0 for m in months)
    totals["revenue"] = sum(
        ((rows.get(m) or {}).get("revenue") or Decimal(0) for m in months), Decimal(0)
    )
    totals["activities"] = sum((rows.get(m) or {}).get("activities") or 0 for m in months)
    trend = []
    for m in months:
        r = rows.get(m) or {}
        trend.append(
            (
                m,
                stats.nps(
                    r.get("promoters") or 0, r.get("passives") or 0, r.get("detractors") or 0
                ),
                r,
            )
        )
    return {
        "nps": stats.nps(totals["promoters"], totals["passives"], totals["detractors"]),
        "totals": totals,
        "trend": trend,
    }


def _opportunity_rows(f: Filters) -> list[dict]:
    """Closed and open opportunities in the period with: referenced (a completed reference),
    the prospect's industry and size band (from its reference request when it has one)."""
    from ovation.references.models import Assignment, Opportunity, ReferenceRequest

    completed = Assignment.objects.filter(
        request__opportunity=OuterRef("pk"), status=Assignment.Status.COMPLETED
    )
    qs = Opportunity.objects.annotate(referenced=Exists(completed)).filter(
        Q(close_date__gte=f.start, close_date__lte=f.end)
        | (Q(close_date__isnull=True) & f.between("created_at"))
    )
    rows = list(
        qs.order_by().values("id", "referenced", "outcome", "amount", "won_amount", "stage")
    )
    industry = dict(
        ReferenceRequest.objects.filter(opportunity_id__in=[r["id"] for r in rows])
        .exclude(industry_id=None)
        .values_list("opportunity_id", "industry_id")
    )
    region = dict(
        ReferenceRequest.objects.filter(opportunity_id__in=[r["id"] for r in rows])
        .exclude(region_id=None)
        .values_list("opportunity_id", "region_id")
    )
    for r in rows:
        r["industry_id"] = industry.get(r["id"])
        r["region_id"] = region.get(r["id"])
    if f.industry:
        rows = [r for r in rows if r["industry_id"] in (f.industry, None)]
    if f.region:
        rows = [r for r in rows if r["region_id"] in (f.region, None)]
    return rows


STAGE_GROUPS = {"closed won": "closed", "closed lost": "closed", "won": "closed", "lost": "closed"}


def _stage_group(stage: str) -> str:
    s = (stage or "").strip().lower()
    return STAGE_GROUPS.get(s, s or "unknown")


def references_section(f: Filters) -> dict:
    from ovation.references.models import ReferenceRequest

    reqs = ReferenceRequest.objects.filter(f.between("submitted_at"))
    if f.industry:
        reqs = reqs.filter(industry_id=f.industry)
    if f.region:
        reqs = reqs.filter(region_id=f.region)
    times = [
        (done - sub).total_seconds() / 86400
        for sub, done in reqs.exclude(fulfilled_at=None).values_list("submitted_at", "fulfilled_at")
    ]
    n_requests = reqs.count()
    opps = _opportunity_rows(f)
    closed = [o for o in opps if o["outcome"] in ("won", "lost")]
    ref = [o for o in closed if o["referenced"]]
    plain = [o for o in closed if not o["referenced"]]
    ref_won = sum(1 for o in ref if o["outcome"] == "won")
    plain_won = sum(1 for o in plain if o["outcome"] == "won")
    influenced = sum((o["amount"] for o in opps if o["referenced"]), Decimal(0))
    won_revenue = sum(
        (o["won_amount"] or o["amount"] for o in ref if o["outcome"] == "won"), Decimal(0)
    )
    # Lift: exact matching on (size band, industry, stage group), coarsened to size band
    # alone where a referenced deal has no comparable unreferenced one.
    keyed = [
        (
            (
                stats.size_band(float(o["amount"])),
                str(o["industry_id"] or "?"),
                _stage_group(o["stage"]),
            ),
            bool(o["referenced"]),
            o["outcome"] == "won",
        )
        for o in closed
    ]
    lift = stats.stratified_lift(stats.coarsened_strata(keyed, [3, 1]))
    return {
        "requests": n_requests,
        "fulfilled": len(times),
        "median_days": round(pystats.median(times), 1) if times else None,
        "influenced": influenced,
        "won_revenue": won_revenue,
        "referenced_opps": sum(1 for o in opps if o["referenced"]),
        "with": stats.wilson(ref_won, len(ref)),
        "without": stats.wilson(plain_won, len(plain)),
        "raw_difference": stats.proportion_difference(ref_won, len(ref), plain_won, len(plain)),
        "lift": lift,
    }


def retention_section(f: Filters, today: date | None = None) -> dict:
    """Kaplan-Meier retention of referred vs other accounts, the log-rank test, and the
    referrer -> referee effect, from AccountFact (one narrow read)."""
    today = today or timezone.localdate()
    rows = list(
        facts(f)
        .exclude(customer_since=None)
        .values_list(
            "account_id", "customer_since", "churned_on", "is_referred", "referrer_account_id"
        )
    )
    groups = {True: ([], []), False: ([], [])}
    for _pk, since, churned_on, referred, _ref in rows:
        end = churned_on or today
        duration = max((end - since).days, 0) / 30.4375  # months
        groups[bool(referred)][0].append(duration)
        groups[bool(referred)][1].append(churned_on is not None)
    referred = stats.kaplan_meier(*groups[True])
    others = stats.kaplan_meier(*groups[False])
    test = stats.log_rank(*groups[True], *groups[False])
    referrer_ids = {r[4] for r in rows if r[3] and r[4]}
    referrer_churn = dict(
        AccountFact.objects.filter(account_id__in=referrer_ids)
        .exclude(churned_on=None)
        .values_list("account_id", "churned_on")
    )
    origin = date(2000, 1, 1)
    pair_rows = []
    for _pk, since, churned_on, is_ref, ref_id in rows:
        if not is_ref:
            continue
        end = churned_on or today
        rc = referrer_churn.get(ref_id)
        pair_rows.append(
            (
                (since - origin).days,
                (end - origin).days,
                churned_on is not None,
                (rc - origin).days if rc else None,
            )
        )
    horizons = [12, 24]
    return {
        "referred": referred,
        "others": others,
        "test": test,
        "effect": stats.referrer_effect(pair_rows),
        "horizons": [
            {
                "months": h,
                "referred": referred.at(h),
                "referred_band": referred.band_at(h),
                "others": others.at(h),
                "others_band": others.band_at(h),
            }
            for h in horizons
        ],
    }


def value_section(f: Filters, today: date | None = None) -> dict:
    """Advocate accounts vs the others: ARR, 12-month expansion, renewal rate (with intervals)."""
    today = today or timezone.localdate()
    renewal_due = today - timedelta(days=365)
    is_adv = Case(When(advocates__gt=0, then=1), default=0, output_field=IntegerField())
    rows = (
        facts(f)
        .annotate(adv=is_adv, expansion=F("arr") - F("arr_year_ago"))
        .order_by()
        .values("adv")
        .annotate(
            n=Count("account_id"),
            arr_sum=Sum("arr"),
            arr_sq=Sum(F("arr") * F("arr")),
            exp_n=Count("account_id", filter=Q(arr_year_ago__isnull=False)),
            exp_sum=Sum("expansion", filter=Q(arr_year_ago__isnull=False)),
            exp_sq=Sum(F("expansion") * F("expansion"), filter=Q(arr_year_ago__isnull=False)),
            due=Count("account_id", filter=Q(customer_since__lte=renewal_due)),
            renewed=Count(
                "account_id", filter=Q(customer_since__lte=renewal_due) & ~Q(status="churned")
            ),
        )
    )
    by = {True: None, False: None}
    for r in rows:
        by[bool(r["adv"])] = r
    out = {}
    for flag, r in by.items():
        r = r or {}
        out[flag] = {
            "n": r.get("n") or 0,
            "arr": stats.Moments(
                r.get("n") or 0, float(r.get("arr_sum") or 0), float(r.get("arr_sq") or 0)
            ),
            "expansion": stats.Moments(
                r.get("exp_n") or 0, float(r.get("exp_sum") or 0), float(r.get("exp_sq") or 0)
            ),
            "renewal": stats.wilson(r.get("renewed") or 0, r.get("due") or 0),
            "renewed": r.get("renewed") or 0,
            "due": r.get("due") or 0,
        }
    adv, oth = out[True], out[False]
    return {
        "advocate": adv,
        "other": oth,
        "arr_ratio": stats.ratio_of_means(adv["arr"], oth["arr"]),
        "arr_advocate": stats.mean_ci(adv["arr"]),
        "arr_other": stats.mean_ci(oth["arr"]),
        "expansion_advocate": stats.mean_ci(adv["expansion"]),
        "expansion_other": stats.mean_ci(oth["expansion"]),
        "expansion_diff": stats.mean_difference(adv["expansion"], oth["expansion"]),
        "renewal_diff": stats.proportion_difference(
            adv["renewed"], adv["due"], oth["renewed"], oth["due"]
        ),
    }


def motivation_section(f: Filters) -> dict:
    """Acceptance by motivator x ask type from the motivation module when it provides
    `acceptance_by_motivator_and_type()`; until then acceptance by ask channel x activity
    type from the references module's ask log (read directly)."""
    try:
        from ovation.motivation.selectors import acceptance_by_motivator_and_type
    except ImportError:
        acceptance_by_motivator_and_type = None
    cells_: dict[tuple[str, str], tuple[int, int]] = {}
    source = "motivation"
    if acceptance_by_motivator_and_type is not None:
        # motivation keeps no segment on its observations: the date range applies, the
        # segment filters do not (the page says so)
        for item in acceptance_by_motivator_and_type(since=day_start(f.start)):
            key = (  # rows: ask types; columns: the eight motivators
                item.get("ask_type_label") or item.get("ask_type"),
                item.get("motivator_label") or item.get("motivator"),
            )
            accepted, asked = cells_.get(key, (0, 0))
            cells_[key] = (accepted + int(item["accepted"] or 0), asked + int(item["asked"] or 0))
    if not cells_:
        from ovation.references.models import Ask

        source = "asks"
        asks = Ask.objects.filter(f.between("asked_at"))
        seg = account_q(f)
        if seg:
            asks = asks.filter(seg)
        for r in (
            asks.order_by()
            .values("channel", "activity_type")
            .annotate(
                asked=Count("id", filter=~Q(status="asked")),
                accepted=Count("id", filter=Q(status__in=["accepted", "completed"])),
            )
        ):
            cells_[(r["channel"], r["activity_type"])] = (r["accepted"], r["asked"])
    rows_ = sorted({k[0] for k in cells_})
    cols = sorted({k[1] for k in cells_})
    matrix = [
        [stats.wilson(*cells_[(r, c)]) if (r, c) in cells_ else None for c in cols] for r in rows_
    ]
    return {"source": source, "rows": rows_, "cols": cols, "matrix": matrix, "cells": cells_}


# --- the whole dashboard -------------------------------------------------------------------


def dashboard(f: Filters) -> dict:
    """Every section, in a fixed number of queries whatever the data size."""
    return {
        "filters": f,
        "advocacy": advocacy_section(f),
        "advocacy_trend": advocacy_trend(f),
        "monthly": monthly_section(f),
        "references": references_section(f),
        "retention": retention_section(f),
        "value": value_section(f),
        "motivation": motivation_section(f),
    }
