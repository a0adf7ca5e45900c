"""Reads for the referral program: the click path's link lookup (cached in process), the
advocate's links and referrals, staff lists, the funnel analytics and referrer -> referee pairs."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from .fraud import RULE_LABELS
from .models import Referral, ReferralClick, ReferralLink, ReferralProgram, ReferralReward
from .tracking import CHANNEL_LABELS

# --- the click path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkTarget:
    """What `/r/<code>` needs, resolved once and kept in process memory."""

    link_id: int
    program_id: int
    landing_path: str
    window_days: int


_LINK_CACHE: dict[str, tuple[float, LinkTarget | None]] = {}
_LINK_CACHE_LOCK = threading.Lock()
LINK_CACHE_SECONDS = 60
LINK_CACHE_MAX = 50_000


def link_target_get(code: str) -> LinkTarget | None:
    """code -> (link, program, landing path, window). One indexed query on a cold cache, none
    on a warm one. Kept per process for a minute (a deactivated link stops within a minute);
    the shared cache is not used because its default backend is the database itself."""
    now = time.monotonic()
    hit = _LINK_CACHE.get(code)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = (
        ReferralLink.objects.filter(code=code, is_active=True, program__is_active=True)
        .values_list("pk", "program_id", "program__slug", "program__attribution_window_days")
        .first()
    )
    target = None
    if row is not None:
        path = reverse("referrals:landing", kwargs={"slug": row[2]})
        target = LinkTarget(row[0], row[1], f"{path}?ref={code}", row[3])
    with _LINK_CACHE_LOCK:
        if len(_LINK_CACHE) >= LINK_CACHE_MAX:
            _LINK_CACHE.clear()
        # Unknown codes are remembered briefly too, so probing does not hit the database.
        _LINK_CACHE[code] = (now + (LINK_CACHE_SECONDS if target else 10), target)
    return target


def link_cache_clear() -> None:
    with _LINK_CACHE_LOCK:
        _LINK_CACHE.clear()


# --- programs and links ----------------------------------------------------------------------------


def program_list(*, active_only: bool = False):
    qs = ReferralProgram.objects.annotate(
        n_links=Count("links", distinct=True),
        n_referrals=Count("referrals", distinct=True),
    ).order_by("-is_active", "name")
    return qs.filter(is_active=True) if active_only else qs


def link_list(*, contact_id: int | None = None):
    qs = ReferralLink.objects.select_related("program", "contact").order_by("program__name", "id")
    if contact_id is not None:
        qs = qs.filter(contact_id=contact_id)
    return qs


def link_for_landing(*, program: ReferralProgram, link_id: int | None = None, code: str = ""):
    qs = ReferralLink.objects.select_related("contact", "contact__account").filter(
        program=program, is_active=True
    )
    if link_id is not None:
        return qs.filter(pk=link_id).first()
    if code:
        return qs.filter(code=code).first()
    return None


# --- referrals ------------------------------------------------------------------------------------

ADVOCATE_STATUS_WORDS = {
    "lead": "Received",
    "qualified": "Qualified",
    "opportunity": "In talks",
    "won": "Became a customer",
    "lost": "Did not buy",
    "disqualified": "Did not count",
}


def referral_reason_for_referrer(referral: Referral) -> str:
    """Why a referral did not (yet) count, in plain words for the person who made it."""
    if referral.review == Referral.Review.BLOCKED or referral.review == Referral.Review.REJECTED:
        return referral.status_reason or "Our team reviewed this referral and could not count it."
    if referral.review == Referral.Review.FLAGGED:
        flags = [f for f in referral.fraud_flags if f.get("severity") == "flag"]
        why = flags[0]["advocate_reason"] if flags else ""
        return (why + " Rewards are paid once it is approved.").strip()
    if referral.program.double_opt_in and referral.confirmed_at is None:
        return "Waiting for your friend to confirm their email address."
    if referral.status == Referral.Status.LOST:
        return referral.status_reason or "They decided not to buy this time."
    if referral.status == Referral.Status.DISQUALIFIED:
        return referral.status_reason or "Our team could not count this referral."
    return ""


def referrals_for_referrer(*, contact_id: int, limit: int = 100) -> list[dict]:
    rows = list(
        Referral.objects.filter(referrer_id=contact_id)
        .select_related("program")
        .prefetch_related("rewards")
        .order_by("-created_at")[:limit]
    )
    out = []
    for r in rows:
        paid = sum(
            w.points
            for w in r.rewards.all()
            if w.recipient == "referrer" and w.state == ReferralReward.State.PAID
        )
        out.append(
            {
                "referral": r,
                "status_words": ADVOCATE_STATUS_WORDS[r.status],
                "reason": referral_reason_for_referrer(r),
                "points": paid,
                "tone": (
                    "ok"
                    if r.status == "won"
                    else "bad"
                    if r.status in ("lost", "disqualified")
                    else "warn"
                    if r.review == "flagged"
                    else ""
                ),
            }
        )
    return out


def referral_list(*, program_id=None, status=None, review=None, q: str = ""):
    qs = Referral.objects.select_related("program", "referrer", "referrer__account").order_by(
        "-created_at", "-id"
    )
    if program_id:
        qs = qs.filter(program_id=program_id)
    if status:
        qs = qs.filter(status=status)
    if review:
        qs = qs.filter(review=review)
    if q:
        qs = qs.filter(
            Q(email__icontains=q)
            | Q(company__icontains=q)
            | Q(last_name__icontains=q)
            | Q(referrer__last_name__icontains=q)
        )
    return qs


def referral_get(*, referral_id: int) -> Referral | None:
    return (
        Referral.objects.select_related(
            "program", "referrer", "referrer__account", "link", "referee_contact", "referee_account"
        )
        .prefetch_related("events__actor", "rewards__contact")
        .filter(pk=referral_id)
        .first()
    )


def flag_labels(referral: Referral) -> list[dict]:
    return [
        {**f, "label": RULE_LABELS.get(f.get("rule"), f.get("rule"))}
        for f in referral.fraud_flags or []
    ]


def referral_pairs(*, won_only: bool = True):
    """Referrer -> referee pairs for retention analysis (Insights): one dict per referral
    with the referrer's contact/account and the referee's contact/account when known."""
    qs = Referral.objects.filter(counts=True)
    if won_only:
        qs = qs.filter(status=Referral.Status.WON)
    return qs.values(
        "id",
        "program_id",
        "referrer_id",
        "referrer__account_id",
        "referee_contact_id",
        "referee_account_id",
        "won_at",
        "deal_amount",
    ).order_by("id")


# --- analytics ------------------------------------------------------------------------------------


def _rate(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


@dataclass
class Funnel:
    clicks: int = 0
    leads: int = 0
    qualified: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")

    @property
    def click_to_lead(self):
        return _rate(self.leads, self.clicks)

    @property
    def lead_to_qualified(self):
        return _rate(self.qualified, self.leads)

    @property
    def qualified_to_won(self):
        return _rate(self.won, self.qualified)

    @property
    def lead_to_won(self):
        return _rate(self.won, self.leads)


def _clicks(start: datetime, end: datetime, program_id=None):
    qs = ReferralClick.objects.filter(
        clicked_at__gte=start, clicked_at__lt=end, is_bot=False, is_duplicate=False
    )
    return qs.filter(program_id=program_id) if program_id else qs


def _leads(start: datetime, end: datetime, program_id=None):
    qs = Referral.objects.filter(created_at__gte=start, created_at__lt=end, counts=True)
    return qs.filter(program_id=program_id) if program_id else qs


_LEAD_AGG = {
    "leads": Count("id"),
    "qualified": Count("id", filter=Q(stage_reached__in=["qualified", "opportunity", "won"])),
    "won": Count("id", filter=Q(status="won")),
    "revenue": Sum("deal_amount", filter=Q(status="won")),
}


def _funnel(clicks: int, row: dict | None) -> Funnel:
    row = row or {}
    return Funnel(
        clicks=clicks,
        leads=row.get("leads") or 0,
        qualified=row.get("qualified") or 0,
        won=row.get("won") or 0,
        revenue=row.get("revenue") or Decimal("0"),
    )


def analytics(*, start: datetime, end: datetime, program_id: int | None = None) -> dict:
    """The referral funnel (clicks -> leads -> qualified -> won, revenue) overall, per program,
    per share channel, per advocate (top referrers) and per week. A handful of grouped queries
    over indexed columns, whatever the number of clicks."""
    clicks = _clicks(start, end, program_id)
    leads = _leads(start, end, program_id)
    total = _funnel(clicks.count(), leads.aggregate(**_LEAD_AGG))

    programs = {p.pk: p for p in ReferralProgram.objects.all()}
    clicks_by_program = dict(
        clicks.values_list("program_id").annotate(n=Count("id")).values_list("program_id", "n")
    )
    per_program = []
    for row in leads.values("program_id").annotate(**_LEAD_AGG):
        per_program.append((programs.get(row["program_id"]), _funnel(0, row)))
    seen = {p.pk for p, _ in per_program if p}
    per_program += [(programs[pid], Funnel()) for pid in clicks_by_program if pid not in seen]
    for program, funnel in per_program:
        funnel.clicks = clicks_by_program.get(program.pk, 0) if program else 0
    per_program.sort(key=lambda pf: (-pf[1].leads, -pf[1].clicks))

    clicks_by_channel = dict(clicks.values_list("channel").annotate(n=Count("id")))
    per_channel = []
    lead_channels = {row["channel"]: row for row in leads.values("channel").annotate(**_LEAD_AGG)}
    for ch in sorted(set(clicks_by_channel) | set(lead_channels)):
        per_channel.append(
            (
                CHANNEL_LABELS.get(ch, ch),
                _funnel(clicks_by_channel.get(ch, 0), lead_channels.get(ch)),
            )
        )
    per_channel.sort(key=lambda cf: -cf[1].clicks)

    top = list(
        leads.values(
            "referrer_id", "referrer__first_name", "referrer__last_name", "referrer__account__name"
        )
        .annotate(**_LEAD_AGG)
        .order_by("-won", "-qualified", "-leads")[:10]
    )
    top_clicks = dict(
        clicks.filter(link__contact_id__in=[t["referrer_id"] for t in top])
        .values_list("link__contact_id")
        .annotate(n=Count("id"))
    )
    top_referrers = [
        {
            "contact_id": t["referrer_id"],
            "name": f"{t['referrer__first_name']} {t['referrer__last_name']}".strip(),
            "account": t["referrer__account__name"] or "",
            "funnel": _funnel(top_clicks.get(t["referrer_id"], 0), t),
        }
        for t in top
    ]

    weekly_clicks = dict(
        clicks.annotate(w=TruncWeek("clicked_at")).values_list("w").annotate(n=Count("id"))
    )
    weekly_leads = {
        row["w"]: row
        for row in leads.annotate(w=TruncWeek("created_at")).values("w").annotate(**_LEAD_AGG)
    }
    weeks = sorted(set(weekly_clicks) | set(weekly_leads))
    over_time = [
        {
            "week": w.date().isoformat() if hasattr(w, "date") else str(w),
            "clicks": weekly_clicks.get(w, 0),
            "leads": (weekly_leads.get(w) or {}).get("leads", 0),
            "won": (weekly_leads.get(w) or {}).get("won", 0),
        }
        for w in weeks
    ]
    review_queue = Referral.objects.filter(review=Referral.Review.FLAGGED)
    if program_id:
        review_queue = review_queue.filter(program_id=program_id)
    return {
        "total": total,
        "per_program": per_program,
        "per_channel": per_channel,
        "top_referrers": top_referrers,
        "over_time": over_time,
        "flagged": review_queue.count(),
    }


def default_range(days: int = 90) -> tuple[datetime, datetime]:
    end = timezone.now() + timedelta(minutes=1)
    return end - timedelta(days=days), end
