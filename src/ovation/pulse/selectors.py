"""Reads for Pulse. The dashboard and the summary API read the rollup tables (a fixed,
small number of queries whatever the number of responses); lists join what they show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.directory.models import Account, Contact

from . import stats
from .models import (
    AdvocacySnapshot,
    Campaign,
    FollowUp,
    NpsAccountMonth,
    NpsContactLatest,
    NpsSegmentDay,
    Response,
    ResponseTheme,
    StageTransition,
    SurveyInvitation,
)
from .segments import (
    ACCOUNT_DIMENSIONS,
    DIMENSIONS,
    account_q,
    contact_q,
    customer_contacts,
    value_labels,
)
from .themes import THEME_LABELS

TREND_MONTHS = 18


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    """Local days [start, end] as an aware datetime range: an index range scan, where a
    `__date` lookup would convert every row (a Python function per row on SQLite)."""
    tz = timezone.get_current_timezone()
    low = datetime.combine(start, time.min, tzinfo=tz)
    high = datetime.combine(end, time.max, tzinfo=tz)
    return low, high


def account_csm_id(*, account_id: int) -> int | None:
    return Account.objects.filter(pk=account_id).values_list("csm_owner_id", flat=True).first()


# --- campaigns & inbox ---------------------------------------------------------------------


def campaign_audience(audience: dict) -> QuerySet[Contact]:
    """Active customer contacts matching the campaign's filters, minus opted-out ones."""
    qs = customer_contacts().filter(nps_opt_out__isnull=True)
    for dim in ACCOUNT_DIMENSIONS + ["stage"]:
        values = audience.get(dim) or []
        if values:
            cond = Q()
            for value in values:
                cond |= contact_q(dim, value)
            qs = qs.filter(cond)
    days = audience.get("surveyed_days")
    if days:
        recent = SurveyInvitation.objects.filter(
            contact=OuterRef("pk"), sent_at__gte=timezone.now() - timedelta(days=int(days))
        )
        recent_answer = Response.objects.filter(
            contact=OuterRef("pk"), answered_at__gte=timezone.now() - timedelta(days=int(days))
        )
        qs = qs.exclude(Exists(recent)).exclude(Exists(recent_answer))
    return qs.distinct()


def campaign_list() -> QuerySet[Campaign]:
    return (
        Campaign.objects.select_related("created_by")
        .annotate(
            invited=Count(
                "invitations", filter=Q(invitations__sent_at__isnull=False), distinct=True
            ),
            answered=Count("responses", distinct=True),
            p=Count("responses", filter=Q(responses__score__gte=9), distinct=True),
            pa=Count(
                "responses",
                filter=Q(responses__score__gte=7, responses__score__lte=8),
                distinct=True,
            ),
            d=Count("responses", filter=Q(responses__score__lte=6), distinct=True),
        )
        .order_by(F("sent_at").desc(nulls_first=True), "-created_at", "-id")
    )


def campaign_rounds(campaigns) -> list[dict]:
    """Each round's NPS and its change from the previous (older) round, with the margin of
    that difference, so successive rounds can be compared without over-reading noise."""
    rows = [{"campaign": c, "nps": stats.nps_from_counts(c.p, c.pa, c.d)} for c in campaigns]
    for i, row in enumerate(rows):
        older = next((r for r in rows[i + 1 :] if r["nps"].responses), None)
        row["change"], row["change_moe"] = (
            stats.difference(older["nps"], row["nps"]) if older else (None, None)
        )
        row["significant"] = row["change"] is not None and abs(row["change"]) > (
            row["change_moe"] or 0
        )
    return rows


def campaign_stats(campaign: Campaign) -> dict:
    agg = Response.objects.filter(campaign=campaign).aggregate(
        p=Count("id", filter=Q(score__gte=9)),
        pa=Count("id", filter=Q(score__gte=7, score__lte=8)),
        d=Count("id", filter=Q(score__lte=6)),
    )
    inv = SurveyInvitation.objects.filter(campaign=campaign).aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        reminded=Count("id", filter=Q(reminded_at__isnull=False)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
    )
    nps = stats.nps_from_counts(agg["p"], agg["pa"], agg["d"])
    return {**inv, "nps": nps, "response_rate": stats.response_rate(inv["sent"], nps.responses)}


def response_list(
    *, q: str = "", category: str = "", campaign_id: str = "", theme: str = ""
) -> QuerySet[Response]:
    qs = Response.objects.select_related(
        "contact", "account", "campaign", "follow_up"
    ).prefetch_related("themes")
    if category == "promoter":
        qs = qs.filter(score__gte=9)
    elif category == "passive":
        qs = qs.filter(score__gte=7, score__lte=8)
    elif category == "detractor":
        qs = qs.filter(score__lte=6)
    if campaign_id.isdigit():
        qs = qs.filter(campaign_id=int(campaign_id))
    if theme:
        qs = qs.filter(themes__theme=theme)
    if q.strip():
        term = q.strip()
        qs = qs.filter(
            Q(contact__email__icontains=term)
            | Q(contact__last_name__icontains=term)
            | Q(account__name__icontains=term)
            | Q(reason__icontains=term)
            | Q(improvement__icontains=term)
        )
    return qs.order_by("-answered_at", "-id")


def follow_up_list(*, user, status: str = "", mine: bool = True) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.select_related("contact", "account", "owner", "response")
    if mine:
        qs = qs.filter(owner=user)
    if status in FollowUp.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at", "-id")


def followup_open_contact_ids() -> set[int]:
    """Contacts with a detractor follow-up not yet closed: a quiet period for asks (the shared
    ask budget in References reads it)."""
    return set(
        FollowUp.objects.exclude(status=FollowUp.Status.CLOSED)
        .values_list("contact_id", flat=True)
        .distinct()
    )


def contact_nps_history(*, contact: Contact) -> dict:
    responses = list(
        Response.objects.filter(contact=contact).select_related("campaign").order_by("-answered_at")
    )
    transitions = list(StageTransition.objects.filter(contact=contact).order_by("-occurred_at"))
    return {"responses": responses, "transitions": transitions}


# --- NPS numbers from rollups --------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: date
    end: date  # inclusive


def period_for(key: str, today: date | None = None) -> Period:
    today = today or timezone.localdate()
    if key == "90d":
        return Period("90d", "Rolling 90 days", today - timedelta(days=89), today)
    if key == "q":
        q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period("q", f"This quarter ({stats.quarter_key(today)})", q_start, today)
    if key == "all":
        return Period("all", "All time", date(2000, 1, 1), today)
    if key == "30d":
        return Period("30d", "Last 30 days", today - timedelta(days=29), today)
    start = stats.add_months(stats.month_start(today), -11)
    return Period("12m", "Last 12 months", start, today)


PERIODS = ["30d", "90d", "q", "12m", "all"]

_COUNT_SUMS = {
    "p": Sum("promoters"),
    "pa": Sum("passives"),
    "d": Sum("detractors"),
}


def _nps(row: dict) -> stats.Nps:
    return stats.nps_from_counts(row.get("p") or 0, row.get("pa") or 0, row.get("d") or 0)


def nps_segment(*, start: date, end: date, dimension: str = "all", value: str = "") -> stats.Nps:
    row = NpsSegmentDay.objects.filter(
        dimension=dimension, value=value, day__gte=start, day__lte=end
    ).aggregate(**_COUNT_SUMS)
    return _nps(row)


def nps_monthly(
    *, dimension: str = "all", value: str = "", months: int = TREND_MONTHS
) -> list[tuple[date, stats.Nps]]:
    today = timezone.localdate()
    first = stats.add_months(stats.month_start(today), -(months - 1))
    # Summed by month in Python: at most ~550 daily rows, and no per-row SQL date function.
    sums: dict[date, list[int]] = {}
    for day, p, pa, d in NpsSegmentDay.objects.filter(
        dimension=dimension, value=value, day__gte=first
    ).values_list("day", "promoters", "passives", "detractors"):
        acc = sums.setdefault(stats.month_start(day), [0, 0, 0])
        acc[0] += p
        acc[1] += pa
        acc[2] += d
    rows = [{"m": m, "p": v[0], "pa": v[1], "d": v[2]} for m, v in sums.items()]
    found = {stats.month_start(r["m"]): _nps(r) for r in rows}
    empty = stats.nps_from_counts(0, 0, 0)
    return [(m, found.get(m, empty)) for m in stats.months_between(first, today)]


def nps_by_segment(*, start: date, end: date) -> dict[tuple[str, str], stats.Nps]:
    rows = (
        NpsSegmentDay.objects.filter(day__gte=start, day__lte=end)
        .exclude(dimension="all")
        .values("dimension", "value")
        .annotate(**_COUNT_SUMS)
    )
    return {(r["dimension"], r["value"]): _nps(r) for r in rows}


def _latest_qs(dimension: str, value: str, since=None):
    qs = NpsContactLatest.objects.all()
    if dimension == "stage":
        qs = qs.filter(contact__stage=value)
    elif dimension != "all":
        qs = qs.filter(account_q(dimension, value, prefix="account__"))
    if since is not None:
        qs = qs.filter(answered_at__gte=since)
    return qs


def nps_person_based(*, dimension: str = "all", value: str = "", since=None) -> stats.Nps:
    """Each person's latest answer counted once (an all-time NPS not skewed by who answered
    most often)."""
    row = (
        _latest_qs(dimension, value, since)
        .order_by()
        .aggregate(
            p=Count("pk", filter=Q(score__gte=9)),
            pa=Count("pk", filter=Q(score__gte=7, score__lte=8)),
            d=Count("pk", filter=Q(score__lte=6)),
        )
    )
    return _nps(row)


def account_nps_scores(*, dimension: str = "all", value: str = "") -> dict[int, float]:
    """account id -> mean of its contacts' latest scores."""
    return {
        r["account_id"]: float(r["avg"])
        for r in _latest_qs(dimension, value)
        .exclude(account_id=None)
        .order_by()
        .values("account_id")
        .annotate(avg=Avg("score"))
    }


def response_rate(*, start: date, end: date, dimension: str = "all", value: str = "") -> dict:
    qs = SurveyInvitation.objects.filter(sent_at__range=_span(start, end))
    if dimension != "all":
        qs = qs.filter(contact_q(dimension, value, prefix="contact__"))
    row = qs.aggregate(invited=Count("id"), answered=Count("id", filter=Q(response__isnull=False)))
    return {**row, "rate": stats.response_rate(row["invited"], row["answered"])}


def nps_summary(
    *, start: date | None, end: date | None, filters: dict[str, str], basis: str = "response"
) -> stats.Nps:
    """The API's summary: rollups when they can answer exactly (at most one account-level
    filter, or several through the per-account-month rollup on whole months), else the rows."""
    today = timezone.localdate()
    start = start or date(2000, 1, 1)
    end = end or today
    filters = {k: v for k, v in filters.items() if v not in (None, "")}
    if basis == "person":
        qs = NpsContactLatest.objects.filter(answered_at__range=_span(start, end))
        for dim, value in filters.items():
            qs = qs.filter(contact_q(dim, value, prefix="contact__"))
        return _nps(
            qs.order_by().aggregate(
                p=Count("pk", filter=Q(score__gte=9)),
                pa=Count("pk", filter=Q(score__gte=7, score__lte=8)),
                d=Count("pk", filter=Q(score__lte=6)),
            )
        )
    if not filters:
        return nps_segment(start=start, end=end)
    if len(filters) == 1:
        ((dim, value),) = filters.items()
        return nps_segment(start=start, end=end, dimension=dim, value=value)
    whole_months = start.day == 1 and (end + timedelta(days=1)).day == 1
    if whole_months and "stage" not in filters:
        qs = NpsAccountMonth.objects.filter(month__gte=start, month__lte=end)
        for dim, value in filters.items():
            qs = qs.filter(account_q(dim, value, prefix="account__"))
        return _nps(qs.order_by().aggregate(**_COUNT_SUMS))
    qs = Response.objects.filter(answered_at__range=_span(start, end))
    for dim, value in filters.items():
        if dim == "stage":
            qs = qs.filter(contact_stage=value)
        else:
            qs = qs.filter(account_q(dim, value, prefix="account__"))
    return _nps(
        qs.order_by().aggregate(
            p=Count("id", filter=Q(score__gte=9)),
            pa=Count("id", filter=Q(score__gte=7, score__lte=8)),
            d=Count("id", filter=Q(score__lte=6)),
        )
    )


# --- advocacy ------------------------------------------------------------------------------


def advocacy_trend(*, dimension: str = "all", value: str = "") -> list[AdvocacySnapshot]:
    today = timezone.localdate()
    first = stats.add_months(stats.month_start(today), -(TREND_MONTHS - 1))
    return list(
        AdvocacySnapshot.objects.filter(
            dimension=dimension, value=value, month__gte=first
        ).order_by("month")
    )


def advocacy_summary(*, dimension: str = "all", value: str = "") -> dict:
    """The headline: customer contacts and accounts, and how many are advocates, now."""
    snap = (
        AdvocacySnapshot.objects.filter(dimension=dimension, value=value).order_by("-month").first()
    )
    if snap is None:
        return {
            "contacts": 0,
            "promoters": 0,
            "advocates": 0,
            "champions": 0,
            "advocacy_rate": None,
            "accounts": 0,
            "advocate_accounts": 0,
            "account_advocacy_rate": None,
            "month": None,
        }
    return snapshot_dict(snap)


def snapshot_dict(snap: AdvocacySnapshot) -> dict:
    return {
        "contacts": snap.contacts,
        "promoters": snap.promoters,
        "advocates": snap.advocates,
        "champions": snap.champions,
        "advocacy_rate": stats.rate(snap.advocates, snap.contacts),
        "accounts": snap.accounts,
        "advocate_accounts": snap.advocate_accounts,
        "account_advocacy_rate": stats.rate(snap.advocate_accounts, snap.accounts),
        "month": snap.month,
    }


def funnel(summary: dict) -> list[dict]:
    steps = [
        ("Customers", summary["contacts"]),
        ("Promoters", summary["promoters"]),
        ("Advocates", summary["advocates"]),
        ("Champions", summary["champions"]),
    ]
    out = []
    for i, (label, n) in enumerate(steps):
        prev = steps[i - 1][1] if i else None
        out.append(
            {
                "label": label,
                "count": n,
                "of_customers": stats.rate(n, steps[0][1]),
                "conversion": stats.rate(n, prev) if prev is not None else None,
            }
        )
    return out


ASKED_Q = (
    Q(kind=Activity.Kind.ASK_LOGGED)
    | Q(kind__startswith="challenge.")
    | Q(kind__startswith="reference.")
    | Q(kind__startswith="referral.")
)


def untapped_promoters() -> QuerySet[Contact]:
    """Customer contacts at the promoter stage who were never asked for anything (no ask,
    challenge, reference or referral in their activity): a ready-made list to invite."""
    asked = Activity.objects.filter(ASKED_Q, contact=OuterRef("pk"))
    return (
        customer_contacts()
        .filter(stage=Contact.Stage.PROMOTER)
        .exclude(Exists(asked))
        .select_related("account", "account__csm_owner", "nps_latest")
        .order_by("-nps_latest__score", "-nps_latest__answered_at", "id")
    )


# --- themes --------------------------------------------------------------------------------


def themes_summary(
    *, start: date, end: date, dimension: str = "all", value: str = "", examples: int = 2
) -> list[dict]:
    qs = ResponseTheme.objects.filter(answered_at__range=_span(start, end))
    if dimension == "stage":
        qs = qs.filter(response__contact_stage=value)
    elif dimension != "all":
        qs = qs.filter(account_q(dimension, value, prefix="account__"))
    counts = list(
        qs.order_by()
        .values("theme")
        .annotate(
            n=Count("id"),
            detractors=Count("id", filter=Q(score__lte=6)),
            passives=Count("id", filter=Q(score__gte=7, score__lte=8)),
        )
        .order_by("-n")
    )
    # Example quotes: the most recent answers per theme. Ids first (an index range scan on
    # the theme table), then the joined rows: a planner never starts from the responses.
    recent = list(
        qs.filter(score__lte=8).order_by("-answered_at").values_list("id", flat=True)[:300]
    )
    quotes: dict[str, list] = {}
    for theme_row in (
        ResponseTheme.objects.filter(id__in=recent)
        .select_related("response", "response__contact", "response__account")
        .order_by("-answered_at")
    ):
        if not theme_row.response.improvement:
            continue
        bucket = quotes.setdefault(theme_row.theme, [])
        if len(bucket) < examples:
            bucket.append(theme_row)
    return [
        {
            "theme": r["theme"],
            "label": THEME_LABELS.get(r["theme"], r["theme"]),
            "count": r["n"],
            "detractors": r["detractors"],
            "passives": r["passives"],
            "examples": quotes.get(r["theme"], []),
        }
        for r in counts
    ]


def themes_by_segment(*, start: date, end: date, dimension: str) -> dict:
    """theme x segment value counts for one dimension (the themes page's matrix)."""
    qs = ResponseTheme.objects.filter(answered_at__range=_span(start, end))
    field = {
        "industry": "account__industry_id",
        "region": "account__region_id",
        "employee_band": "account__employee_band",
        "csm": "account__csm_owner_id",
        "stage": "response__contact_stage",
    }.get(dimension, "account__region_id")
    rows = qs.order_by().values("theme", field).annotate(n=Count("id"))
    matrix: dict[str, dict[str, int]] = {}
    values: set[str] = set()
    for r in rows:
        v = str(r[field] or "")
        values.add(v)
        matrix.setdefault(r["theme"], {})[v] = r["n"]
    return {"matrix": matrix, "values": sorted(values)}


# --- dashboard -----------------------------------------------------------------------------


def dashboard(*, period_key: str = "12m", dimension: str = "all", value: str = "") -> dict:
    """Everything the dashboard shows, from the rollups, in a fixed number of queries."""
    if dimension not in DIMENSIONS and dimension != "all":
        dimension, value = "all", ""
    if dimension == "all":
        value = ""
    period = period_for(period_key)
    today = timezone.localdate()
    current = nps_segment(start=period.start, end=period.end, dimension=dimension, value=value)
    rolling = nps_segment(
        start=today - timedelta(days=89), end=today, dimension=dimension, value=value
    )
    monthly = nps_monthly(dimension=dimension, value=value)
    quarterly = stats.by_quarter(dict(monthly))
    person = nps_person_based(dimension=dimension, value=value)
    account_means = account_nps_scores(dimension=dimension, value=value)
    account = stats.account_nps(account_means.values())
    rr = response_rate(start=period.start, end=period.end, dimension=dimension, value=value)
    trend = advocacy_trend(dimension=dimension, value=value) if dimension != "stage" else []
    advocacy = snapshot_dict(trend[-1]) if trend else advocacy_summary(dimension="__none__")
    labels = value_labels()
    segments_nps = nps_by_segment(start=period.start, end=period.end)
    snaps = {
        (s.dimension, s.value): snapshot_dict(s)
        for s in AdvocacySnapshot.objects.filter(month=stats.month_start(today)).exclude(
            dimension="all"
        )
    }
    table = []
    for dim, dim_label in DIMENSIONS.items():
        keys = sorted(
            {k for k in segments_nps if k[0] == dim} | {k for k in snaps if k[0] == dim},
            key=lambda k: labels.get(k, k[1]),
        )
        for key in keys:
            table.append(
                {
                    "dimension": dim,
                    "dimension_label": dim_label,
                    "value": key[1],
                    "label": labels.get(key, key[1] or "—"),
                    "nps": segments_nps.get(key, stats.nps_from_counts(0, 0, 0)),
                    "advocacy": snaps.get(key),
                }
            )
    themes = themes_summary(start=period.start, end=period.end, dimension=dimension, value=value)
    return {
        "period": period,
        "periods": [period_for(k) for k in PERIODS],
        "dimension": dimension,
        "value": value,
        "segment_label": labels.get((dimension, value), "All customers"),
        "nps": current,
        "rolling": rolling,
        "monthly": monthly,
        "quarterly": sorted(quarterly.items()),
        "person": person,
        "account_nps": account,
        "accounts_scored": len(account_means),
        "response_rate": rr,
        "advocacy": advocacy,
        "advocacy_trend": trend,
        "funnel": funnel(advocacy),
        "segments": table,
        "themes": themes,
        "dimensions": DIMENSIONS,
        "labels": labels,
    }


def chart_data(data: dict) -> dict:
    """JSON for the dashboard's charts (read by static/pulse/dashboard.js)."""
    monthly = data["monthly"]
    return {
        "nps": {
            "labels": [m.strftime("%b %Y") for m, _ in monthly],
            "nps": [None if r.nps is None else round(r.nps, 1) for _, r in monthly],
            "low": [None if r.low is None else round(r.low, 1) for _, r in monthly],
            "high": [None if r.high is None else round(r.high, 1) for _, r in monthly],
            "responses": [r.responses for _, r in monthly],
        },
        "advocacy": {
            "labels": [s.month.strftime("%b %Y") for s in data["advocacy_trend"]],
            "contacts": [
                None if not s.contacts else round(100 * s.advocates / s.contacts, 1)
                for s in data["advocacy_trend"]
            ],
            "accounts": [
                None if not s.accounts else round(100 * s.advocate_accounts / s.accounts, 1)
                for s in data["advocacy_trend"]
            ],
        },
    }
