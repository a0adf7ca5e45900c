"""Reads of the advocate hub. Every list joins what its page shows (no N+1); contact-scoped
reads take the contact, never an id from the request alone."""

import importlib
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.directory.models import Contact
from ovation.directory.selectors import consent_current
from ovation.ledger.models import LedgerEntry, PointsBalance
from ovation.users.models import User

from .models import (
    Badge,
    BadgeAward,
    Challenge,
    HubProfile,
    Level,
    MotivationAnswer,
    Submission,
)

# --- Levels -------------------------------------------------------------------------------------


def levels_all() -> list[Level]:
    return list(Level.objects.order_by("threshold"))


def level_for_points(levels: list[Level], lifetime: int) -> Level | None:
    """The highest level whose threshold is reached (pure; `levels` sorted by threshold)."""
    current = None
    for level in levels:
        if lifetime >= level.threshold:
            current = level
    return current


@dataclass
class LevelProgress:
    level: Level | None
    next_level: Level | None
    lifetime: int
    spendable: int
    percent: int
    points_to_next: int


def level_progress(
    *, spendable: int, lifetime: int, levels: list[Level] | None = None
) -> LevelProgress:
    levels = levels if levels is not None else levels_all()
    level = level_for_points(levels, lifetime)
    next_level = next((lvl for lvl in levels if lvl.threshold > lifetime), None)
    if next_level is None:
        percent, to_next = 100, 0
    else:
        base = level.threshold if level else 0
        span = max(1, next_level.threshold - base)
        percent = int(100 * (lifetime - base) / span)
        to_next = next_level.threshold - lifetime
    return LevelProgress(level, next_level, lifetime, spendable, percent, to_next)


def level_population(levels: list[Level]) -> dict[int, int]:
    """How many advocates are at each level (one query over the balance cache)."""
    thresholds = [lvl.threshold for lvl in levels]
    counts: dict[int, int] = {}
    rows = PointsBalance.objects.filter(contact__user__role=User.Role.ADVOCATE).values_list(
        "lifetime", flat=True
    )
    for lifetime in rows:
        level = None
        for lvl, threshold in zip(levels, thresholds, strict=True):
            if lifetime >= threshold:
                level = lvl
        if level is not None:
            counts[level.pk] = counts.get(level.pk, 0) + 1
    return counts


def contact_points(*, contact: Contact) -> tuple[int, int]:
    row = PointsBalance.objects.filter(contact=contact).values_list("spendable", "lifetime").first()
    return row if row else (0, 0)


def contact_level(*, contact: Contact) -> Level | None:
    return level_for_points(levels_all(), contact_points(contact=contact)[1])


# --- Audience -----------------------------------------------------------------------------------


def program_ids_for_contact(contact: Contact) -> set[int] | None:
    """Hook into the programs app: the ids of programs the contact belongs to, or None when the
    programs app does not offer `selectors.program_ids_for_contact(contact=)` (then program
    audience rules are not applied)."""
    try:
        selectors = importlib.import_module("ovation.programs.selectors")
    except ModuleNotFoundError:
        return None
    fn = getattr(selectors, "program_ids_for_contact", None)
    return set(fn(contact=contact)) if fn else None


def challenge_is_for(
    challenge: Challenge, contact: Contact, *, level: Level | None, program_ids=None
) -> bool:
    """Audience rules (empty rule = everyone). Uses prefetched industries/regions when present."""
    if challenge.audience_stages and contact.stage not in challenge.audience_stages:
        return False
    account = contact.account
    if challenge.audience_employee_bands and (
        account is None or account.employee_band not in challenge.audience_employee_bands
    ):
        return False
    industries = [i.pk for i in challenge.audience_industries.all()]
    if industries and (account is None or account.industry_id not in industries):
        return False
    regions = [r.pk for r in challenge.audience_regions.all()]
    if regions and (account is None or account.region_id not in regions):
        return False
    if challenge.audience_min_level_id and (
        level is None or level.threshold < challenge.audience_min_level.threshold
    ):
        return False
    if challenge.audience_program_ids:
        if program_ids is None:
            program_ids = program_ids_for_contact(contact)
        if program_ids is not None and not set(challenge.audience_program_ids) & program_ids:
            return False
    return True


def _live(now=None) -> Q:
    now = now or timezone.now()
    return (
        Q(status=Challenge.Status.PUBLISHED)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def _challenge_qs() -> QuerySet[Challenge]:
    return Challenge.objects.select_related("audience_min_level").prefetch_related(
        "audience_industries", "audience_regions"
    )


@dataclass
class FeedItem:
    challenge: Challenge
    done: int  # approved or pending attempts
    pending: bool
    can_do: bool
    last_status: str | None


def challenge_feed(
    *, contact: Contact, kind: str | None = None, level: Level | None = None
) -> list[FeedItem]:
    """The challenges open to this contact, with what they have already done (5 queries)."""
    qs = _challenge_qs().filter(_live())
    if kind:
        qs = qs.filter(kind=kind)
    challenges = list(qs)
    program_ids = None
    if any(c.audience_program_ids for c in challenges):
        program_ids = program_ids_for_contact(contact)
    rows = (
        Submission.objects.filter(contact=contact, challenge__in=[c.pk for c in challenges])
        .values("challenge_id")
        .annotate(
            held=Count("id", filter=Q(slot__isnull=False)),
            pending=Count("id", filter=Q(status=Submission.Status.PENDING)),
        )
    )
    counts = {r["challenge_id"]: r for r in rows}
    items = []
    for c in challenges:
        if not challenge_is_for(c, contact, level=level, program_ids=program_ids):
            continue
        row = counts.get(c.pk, {"held": 0, "pending": 0})
        full = c.total_limit is not None and c.completions_count >= c.total_limit
        can_do = row["held"] < c.per_person_limit and not full
        if full and row["held"] == 0:
            continue
        items.append(FeedItem(c, row["held"], bool(row["pending"]), can_do, None))
    # Open asks first, then the ones in review, then the completed ones.
    items.sort(
        key=lambda i: (
            not i.can_do,
            i.pending is False and not i.can_do,
            not i.challenge.is_featured,
        )
    )
    return items


def access_challenge_for_contact(*, contact: Contact, challenge_id: int) -> Challenge:
    """A challenge the advocate may see: live and meant for them, or one they have already
    submitted to. 404 otherwise (missing and forbidden look the same)."""
    challenge = (
        _challenge_qs()
        .prefetch_related("questions")
        .filter(pk=challenge_id)
        .exclude(status=Challenge.Status.DRAFT)
        .first()
    )
    if challenge is None:
        raise Http404
    if Submission.objects.filter(challenge=challenge, contact=contact).exists():
        return challenge
    if challenge.is_live() and challenge_is_for(
        challenge, contact, level=contact_level(contact=contact)
    ):
        return challenge
    raise Http404


def submissions_for_contact(
    *, contact: Contact, challenge: Challenge | None = None
) -> QuerySet[Submission]:
    qs = Submission.objects.filter(contact=contact).select_related("challenge")
    if challenge is not None:
        qs = qs.filter(challenge=challenge)
    return qs.order_by("-created_at", "-id")


def access_submission(*, user: User, submission_id: int) -> Submission:
    """A submission the user may see: their own (advocate) or any (hub manager). 404 otherwise."""
    submission = (
        Submission.objects.select_related("challenge", "contact__account", "reviewed_by")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise Http404
    if user.has_perm("ovation.manage_programs"):
        return submission
    if user.is_authenticated and submission.contact.user_id == user.pk:
        return submission
    raise Http404


# --- Review queue (staff) -----------------------------------------------------------------------


def review_queue(
    *,
    status: str | None = Submission.Status.PENDING,
    challenge_id: int | None = None,
    kind: str | None = None,
    q: str = "",
) -> QuerySet[Submission]:
    qs = Submission.objects.select_related("challenge", "contact__account", "reviewed_by").order_by(
        "created_at", "id"
    )
    if status:
        qs = qs.filter(status=status)
        if status != Submission.Status.PENDING:
            qs = qs.order_by("-reviewed_at", "-created_at", "-id")
    if challenge_id:
        qs = qs.filter(challenge_id=challenge_id)
    if kind:
        qs = qs.filter(challenge__kind=kind)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(contact__email__icontains=q)
            | Q(contact__last_name__icontains=q)
            | Q(contact__first_name__icontains=q)
            | Q(contact__account__name__icontains=q)
        )
    return qs


def challenge_list_staff(
    *, status: str | None = None, kind: str | None = None
) -> QuerySet[Challenge]:
    qs = Challenge.objects.annotate(
        pending_count=Count("submissions", filter=Q(submissions__status=Submission.Status.PENDING)),
        approved_count=Count(
            "submissions", filter=Q(submissions__status=Submission.Status.APPROVED)
        ),
    ).order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


# --- Leaderboards -------------------------------------------------------------------------------


@dataclass
class LeaderRow:
    rank: int
    contact_id: int
    name: str
    company: str
    points: int
    is_me: bool
    is_anonymous: bool


def _advocates() -> QuerySet[Contact]:
    return Contact.objects.filter(
        user__role=User.Role.ADVOCATE, user__is_active=True, is_active=True
    )


def _rows(
    pairs: list[tuple[int, int]], viewer: Contact | None, limit: int, reveal: bool = False
) -> list[LeaderRow]:
    ids = [cid for cid, _ in pairs]
    contacts = {
        c.pk: c for c in Contact.objects.filter(pk__in=ids).select_related("account", "hub_profile")
    }
    rows, rank = [], 0
    for cid, points in pairs:
        contact = contacts.get(cid)
        if contact is None:
            continue
        profile = getattr(contact, "hub_profile", None)
        visibility = profile.leaderboard_visibility if profile else HubProfile.Visibility.NAME
        is_me = viewer is not None and cid == viewer.pk
        if visibility == HubProfile.Visibility.HIDDEN and not is_me and not reveal:
            continue
        rank += 1
        anonymous = visibility == HubProfile.Visibility.ANONYMOUS and not is_me and not reveal
        rows.append(
            LeaderRow(
                rank=rank,
                contact_id=cid,
                name="Anonymous advocate" if anonymous else contact.full_name or "Advocate",
                company="" if anonymous else (contact.account.name if contact.account else ""),
                points=points,
                is_me=is_me,
                is_anonymous=anonymous,
            )
        )
        if len(rows) >= limit:
            break
    return rows


def _hidden_ids() -> QuerySet:
    return HubProfile.objects.filter(leaderboard_visibility=HubProfile.Visibility.HIDDEN).values(
        "contact_id"
    )


def leaderboard_all_time(
    *, viewer: Contact | None = None, limit: int = 25, contact_ids=None, reveal: bool = False
) -> list[LeaderRow]:
    """By lifetime points (spending and expiry never lower a rank)."""
    qs = PointsBalance.objects.filter(contact__in=_advocates(), lifetime__gt=0)
    if contact_ids is not None:
        qs = qs.filter(contact_id__in=contact_ids)
    hidden = Q(contact_id__in=_hidden_ids()) if not reveal else Q(pk__in=[])
    if viewer is not None:
        hidden &= ~Q(contact_id=viewer.pk)
    pairs = list(
        qs.exclude(hidden)
        .order_by("-lifetime", "contact_id")
        .values_list("contact_id", "lifetime")[:limit]
    )
    return _rows(pairs, viewer, limit, reveal)


def month_start(now=None):
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def leaderboard_month(
    *, viewer: Contact | None = None, limit: int = 25, contact_ids=None, reveal: bool = False
) -> list[LeaderRow]:
    """Points earned this calendar month (earn entries in the ledger)."""
    qs = LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.EARN, created_at__gte=month_start(), contact__in=_advocates()
    )
    if contact_ids is not None:
        qs = qs.filter(contact_id__in=contact_ids)
    hidden = Q(contact_id__in=_hidden_ids()) if not reveal else Q(pk__in=[])
    if viewer is not None:
        hidden &= ~Q(contact_id=viewer.pk)
    pairs = list(
        qs.exclude(hidden)
        .values("contact_id")
        .annotate(total=Sum("lifetime_delta"))
        .filter(total__gt=0)
        .order_by("-total", "contact_id")
        .values_list("contact_id", "total")[:limit]
    )
    return _rows(pairs, viewer, limit, reveal)


def _programs_selectors():
    try:
        return importlib.import_module("ovation.programs.selectors")
    except ModuleNotFoundError:
        return None


def leaderboard_programs(limit: int = 4) -> list[tuple[int, str]]:
    """Programs offered as leaderboards: `programs.selectors.leaderboard_programs()` when the
    programs app provides it, else its active programs (`program_list(include_inactive=False)`)."""
    selectors = _programs_selectors()
    if selectors is None:
        return []
    if hasattr(selectors, "leaderboard_programs"):
        return list(selectors.leaderboard_programs())[:limit]
    if hasattr(selectors, "program_list") and hasattr(selectors, "program_members"):
        return [(p.pk, p.name) for p in selectors.program_list(include_inactive=False)[:limit]]
    return []


def program_member_ids(program_id: int) -> list[int]:
    """Active members of a program (programs app), for the per-program leaderboard."""
    selectors = _programs_selectors()
    if selectors is None:
        return []
    if hasattr(selectors, "program_member_contact_ids"):
        return list(selectors.program_member_contact_ids(program_id=program_id))
    program = selectors.program_get(pk=program_id)
    return list(
        selectors.program_members(program=program, statuses=["active"]).values_list(
            "contact_id", flat=True
        )
    )


def contact_rank(*, contact: Contact) -> int | None:
    lifetime = contact_points(contact=contact)[1]
    if lifetime <= 0:
        return None
    above = (
        PointsBalance.objects.filter(contact__in=_advocates(), lifetime__gt=lifetime)
        .exclude(Q(contact_id__in=_hidden_ids()))
        .count()
    )
    return above + 1


# --- Badges and motivations --------------------------------------------------------------------


def badges_for_contact(*, contact: Contact) -> list[BadgeAward]:
    return list(BadgeAward.objects.filter(contact=contact).select_related("badge"))


def badges_catalogue(*, contact: Contact) -> list[tuple[Badge, BadgeAward | None]]:
    awards = {a.badge_id: a for a in badges_for_contact(contact=contact)}
    badges = Badge.objects.filter(Q(is_active=True) | Q(pk__in=list(awards)))
    # Earned first (newest first), then the ones still to earn, by name.
    pairs = [(b, awards.get(b.pk)) for b in badges]
    earned = sorted((p for p in pairs if p[1]), key=lambda p: p[1].awarded_at, reverse=True)
    return earned + [p for p in pairs if p[1] is None]


def motivation_answers(*, contact: Contact) -> dict[str, int]:
    """The motivations questionnaire: {topic: rating 0-4} for the topics answered. The
    motivation engine reads stated preferences through this function."""
    return dict(MotivationAnswer.objects.filter(contact=contact).values_list("topic", "rating"))


# --- Staff: stats and ledger -------------------------------------------------------------------


def hub_stats(*, days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    advocates = _advocates()
    active = (
        Activity.objects.filter(
            occurred_at__gte=since,
            contact__in=advocates,
            kind__in=["hub.login", "challenge.completed"],
        )
        .values("contact_id")
        .distinct()
        .count()
    )
    by_kind_rows = (
        Submission.objects.filter(status=Submission.Status.APPROVED, reviewed_at__gte=since)
        .values("challenge__kind")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    labels = dict(Challenge.Kind.choices)
    by_kind = [
        (labels.get(r["challenge__kind"], r["challenge__kind"]), r["n"]) for r in by_kind_rows
    ]
    status_counts = dict(
        Submission.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "advocates": advocates.count(),
        "signed_in": HubProfile.objects.filter(first_login_at__isnull=False).count(),
        "active": active,
        "pending": status_counts.get(Submission.Status.PENDING, 0),
        "completions": sum(n for _, n in by_kind),
        "by_kind": by_kind,
        "live_challenges": Challenge.objects.filter(_live()).count(),
        "points_awarded": LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.EARN, created_at__gte=since
        ).aggregate(s=Sum("amount"))["s"]
        or 0,
        "days": days,
    }


def ledger_for_contact(*, contact: Contact) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(contact=contact)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def invite_candidates(
    *,
    stages: list[str] | None = None,
    industry_id: int | None = None,
    region_id: int | None = None,
    employee_band: str = "",
    only_new: bool = True,
) -> QuerySet[Contact]:
    """Contacts in a segment, for bulk invitations (active, not staff-linked)."""
    qs = (
        Contact.objects.filter(is_active=True)
        .select_related("account")
        .exclude(user__role__in=[r for r in User.Role.values if r != User.Role.ADVOCATE])
    )
    if stages:
        qs = qs.filter(stage__in=stages)
    if industry_id:
        qs = qs.filter(account__industry_id=industry_id)
    if region_id:
        qs = qs.filter(account__region_id=region_id)
    if employee_band:
        qs = qs.filter(account__employee_band=employee_band)
    if only_new:
        qs = qs.filter(Q(hub_profile__isnull=True) | Q(hub_profile__invited_at__isnull=True))
    return qs.order_by("id")


# --- Download my data ---------------------------------------------------------------------------


def hub_data_export(*, contact: Contact) -> dict:
    """Everything the hub holds about one advocate, as JSON-ready data."""
    profile = HubProfile.objects.filter(contact=contact).first()
    spendable, lifetime = contact_points(contact=contact)
    level = level_for_points(levels_all(), lifetime)
    account = contact.account
    consents = [
        {
            "purpose": c.purpose,
            "granted": c.is_granted,
            "source": c.source,
            "note": c.note,
            "recorded_at": c.recorded_at.isoformat(),
        }
        for c in contact.consents.order_by("recorded_at", "id")
    ]
    return {
        "exported_at": timezone.now().isoformat(),
        "contact": {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "title": contact.title,
            "company": account.name if account else None,
            "stage": contact.stage,
        },
        "hub_profile": {
            "leaderboard_visibility": profile.leaderboard_visibility,
            "email_digest": profile.email_digest,
            "notify_on_review": profile.notify_on_review,
            "notify_on_badge": profile.notify_on_badge,
            "invited_at": profile.invited_at.isoformat() if profile.invited_at else None,
            "welcome_message": profile.welcome_message,
            "first_login_at": profile.first_login_at.isoformat()
            if profile.first_login_at
            else None,
            "last_seen_at": profile.last_seen_at.isoformat() if profile.last_seen_at else None,
        }
        if profile
        else None,
        "motivations": motivation_answers(contact=contact),
        "points": {
            "spendable": spendable,
            "lifetime": lifetime,
            "level": level.name if level else None,
            "entries": [
                {
                    "amount": e.amount,
                    "lifetime_delta": e.lifetime_delta,
                    "kind": e.kind,
                    "reason": e.reason,
                    "created_at": e.created_at.isoformat(),
                }
                for e in LedgerEntry.objects.filter(contact=contact).order_by("created_at", "id")
            ],
        },
        "submissions": [
            {
                "id": s.pk,
                "challenge": s.challenge.title,
                "status": s.status,
                "proof_url": s.proof_url,
                "proof_text": s.proof_text,
                "proof_file": s.proof_file_name,
                "answers": s.answers,
                "score": s.score,
                "score_total": s.score_total,
                "points_awarded": s.points_awarded,
                "reject_reason": s.reject_reason,
                "created_at": s.created_at.isoformat(),
                "reviewed_at": s.reviewed_at.isoformat() if s.reviewed_at else None,
            }
            for s in Submission.objects.filter(contact=contact)
            .select_related("challenge")
            .order_by("created_at", "id")
        ],
        "badges": [
            {"badge": a.badge.name, "awarded_at": a.awarded_at.isoformat(), "reason": a.reason}
            for a in BadgeAward.objects.filter(contact=contact).select_related("badge")
        ],
        "consents": consents,
        "consents_current": {p: c.is_granted for p, c in consent_current(contact=contact).items()},
        "activities": [
            {
                "kind": a.kind,
                "occurred_at": a.occurred_at.isoformat(),
                "points": a.points,
                "source": a.source,
                "data": a.data,
            }
            for a in Activity.objects.filter(contact=contact).order_by("occurred_at", "id")
        ],
    }


def recent_activity_for_contact(*, contact: Contact, limit: int = 8) -> list[Activity]:
    return list(
        Activity.objects.filter(contact=contact)
        .exclude(kind="hub.login")
        .order_by("-occurred_at", "-id")[:limit]
    )


def submissions_prefetch() -> Prefetch:
    return Prefetch("events")
