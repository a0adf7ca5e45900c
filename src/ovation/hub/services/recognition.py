"""Levels, badges and celebrations."""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import ServiceError
from ovation.directory.models import Contact
from ovation.ledger.services import balance_get
from ovation.users.models import User

from ..models import (
    Badge,
    BadgeAward,
    Challenge,
    HubProfile,
    Level,
    Submission,
)
from ._common import _email, _send_after_commit, hub_profile_get

# --- Levels and badges --------------------------------------------------------------------------


@transaction.atomic
def levels_replace(*, levels: list[tuple[str, int, str]]) -> list[Level]:
    """Replace the level ladder with (name, threshold, description) rows. The first level
    must start at 0; names and thresholds must be unique."""
    if not levels:
        raise ServiceError("keep at least one level", field="levels")
    rows = sorted(((n.strip(), int(t), d.strip()) for n, t, d in levels), key=lambda r: r[1])
    if rows[0][1] != 0:
        raise ServiceError("the first level must start at 0 points", field="threshold")
    names = [r[0] for r in rows]
    thresholds = [r[1] for r in rows]
    for i, name in enumerate(names, start=1):
        if not name:
            raise ServiceError(f"row {i}: give the level a name", field="name")
    if len({n.lower() for n in names}) != len(names):
        raise ServiceError("two levels have the same name", field="name")
    if len(set(thresholds)) != len(thresholds):
        raise ServiceError("two levels have the same threshold", field="threshold")
    existing = {lvl.name.lower(): lvl for lvl in Level.objects.all()}
    keep = []
    # Move thresholds out of the way first so the unique constraint holds mid-update.
    Level.objects.update(threshold=F("threshold") + 10_000_000)
    for name, threshold, description in rows:
        level = existing.pop(name.lower(), None) or Level(name=name)
        level.name, level.threshold, level.description = name, threshold, description
        level.save()
        keep.append(level)
    Level.objects.filter(pk__in=[lvl.pk for lvl in existing.values()]).delete()
    return keep


def _award(badge: Badge, contact: Contact, actor=None, reason: str = "") -> tuple[BadgeAward, bool]:
    try:
        with transaction.atomic():
            award = BadgeAward.objects.create(
                badge=badge, contact=contact, awarded_by=actor, reason=reason
            )
    except IntegrityError:
        return BadgeAward.objects.get(badge=badge, contact=contact), False
    activity_record(
        kind="badge.earned",
        contact=contact,
        source="hub",
        actor=actor,
        external_id=f"badge:{badge.pk}:{contact.pk}",
        data={"badge": badge.slug, "badge_name": badge.name},
    )
    if hub_profile_get(contact=contact).notify_on_badge:
        _send_after_commit(
            [
                _email(
                    contact.email,
                    f"You earned the {badge.name} badge",
                    "badge",
                    {"badge": badge, "contact": contact},
                )
            ]
        )
    return award, True


@transaction.atomic
def badge_award(
    *, badge: Badge, contact: Contact, actor: User | None, reason: str = ""
) -> tuple[BadgeAward, bool]:
    """Award a badge by hand; awarding it twice keeps the first award (returns created=False)."""
    return _award(badge, contact, actor, reason)


def badge_progress_counts(*, contact: Contact) -> dict[str, int]:
    """The counts badge rules look at (two queries)."""
    from ovation.activity.models import Activity

    by_kind = dict(
        Submission.objects.filter(contact=contact, status=Submission.Status.APPROVED)
        .values_list("challenge__kind")
        .annotate(n=Count("id"))
    )
    perfect_quizzes = Submission.objects.filter(
        contact=contact,
        status=Submission.Status.APPROVED,
        challenge__kind=Challenge.Kind.QUIZ,
        score=F("score_total"),
    ).count()
    acts = dict(
        Activity.objects.filter(
            contact=contact, kind__in=["referral.made", "reference.given", "program.joined"]
        )
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    cab_joins = (
        Activity.objects.filter(
            Q(data__program_kind="cab") | Q(data__kind="cab"),
            contact=contact,
            kind="program.joined",
        ).count()
        if acts.get("program.joined")
        else 0
    )
    return {
        Badge.Rule.FIRST_CHALLENGE: sum(by_kind.values()),
        Badge.Rule.FIRST_REFERRAL: by_kind.get("referral", 0) + acts.get("referral.made", 0),
        Badge.Rule.REFERENCES: by_kind.get("reference_call", 0) + acts.get("reference.given", 0),
        Badge.Rule.CAB_MEMBER: by_kind.get("cab", 0) + cab_joins,
        Badge.Rule.QUIZ_MASTER: perfect_quizzes,
        Badge.Rule.REVIEWER: by_kind.get("review", 0),
        Badge.Rule.SPEAKER: sum(by_kind.get(k, 0) for k in ("speaking", "panel", "webinar")),
        Badge.Rule.LIFETIME_POINTS: balance_get(contact=contact).lifetime,
    }


@transaction.atomic
def badges_evaluate(*, contact: Contact) -> list[BadgeAward]:
    """Award every rule badge the contact now qualifies for; safe to call any number of times."""
    held = set(BadgeAward.objects.filter(contact=contact).values_list("badge_id", flat=True))
    candidates = [
        b
        for b in Badge.objects.filter(is_active=True).exclude(rule=Badge.Rule.MANUAL)
        if b.pk not in held
    ]
    if not candidates:
        return []
    counts = badge_progress_counts(contact=contact)
    new = []
    for badge in candidates:
        if counts.get(badge.rule, 0) >= max(1, badge.threshold):
            award, created = _award(badge, contact, reason="earned")
            if created:
                new.append(award)
    return new


@transaction.atomic
def celebrations_take(*, contact: Contact) -> dict:
    """What to celebrate once: badges not yet celebrated and a level reached since the last
    visit. Marks them celebrated (conditional UPDATE: two tabs do not both celebrate)."""
    from ..selectors import contact_level

    now = timezone.now()
    awards = list(
        BadgeAward.objects.filter(contact=contact, celebrated_at__isnull=True)
        .select_related("badge")
        .order_by("awarded_at", "id")
    )
    taken = []
    for award in awards:
        if BadgeAward.objects.filter(pk=award.pk, celebrated_at__isnull=True).update(
            celebrated_at=now
        ):
            taken.append(award)
    level = contact_level(contact=contact)
    profile = hub_profile_get(contact=contact)
    new_level = None
    if level is not None and level.threshold > 0 and profile.celebrated_level_id != level.pk:
        previous = profile.celebrated_level
        if previous is None or previous.threshold < level.threshold:
            new_level = level
        HubProfile.objects.filter(pk=profile.pk).update(celebrated_level=level)
        profile.celebrated_level = level
    return {"badges": taken, "level": new_level}


@transaction.atomic
def hub_defaults_ensure() -> None:
    """Create the default level ladder and badges if none exist (fresh installs, demo, tests)."""
    from ..defaults import BADGES, LEVELS

    if not Level.objects.exists():
        Level.objects.bulk_create([Level(name=n, threshold=t, description=d) for n, t, d in LEVELS])
    if not Badge.objects.exists():
        Badge.objects.bulk_create(
            [
                Badge(slug=s, name=n, description=d, artwork=a, rule=r, threshold=t)
                for s, n, d, a, r, t in BADGES
            ]
        )
