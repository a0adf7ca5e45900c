"""Advocates: invitations, hub profile, motivations, consents."""

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import event_publish
from ovation.core.errors import ServiceError
from ovation.directory.models import Consent, Contact
from ovation.directory.selectors import consent_current
from ovation.directory.services import consent_record
from ovation.users.models import User

from ..models import (
    HubProfile,
    MotivationAnswer,
)
from ._common import _base_url, _email, _send_after_commit, hub_profile_get


@transaction.atomic
def advocate_invite(
    *, contact: Contact, invited_by: User | None, message: str = "", send_email: bool = True
) -> HubProfile:
    """Make the contact an advocate (a hub user linked to the contact, created if needed) and
    email a personal invitation with a sign-in link. Re-inviting sends the invitation again."""
    contact = (
        Contact.objects.select_for_update(of=("self",)).select_related("user").get(pk=contact.pk)
    )
    if not contact.is_active:
        raise ServiceError(f"{contact.email} is not an active contact", field="contact")
    user = contact.user
    if user is not None and user.role != User.Role.ADVOCATE:
        raise ServiceError(
            f"{contact.email} is linked to a staff account; staff cannot be advocates",
            field="contact",
        )
    if user is None:
        user = User.objects.filter(email__iexact=contact.email).first()
        if user is not None and (user.role != User.Role.ADVOCATE or hasattr(user, "contact")):
            raise ServiceError(
                f"{contact.email} already belongs to another account", field="contact"
            )
        if user is None:
            user = User.objects.create_user(
                contact.email, role=User.Role.ADVOCATE, full_name=contact.full_name
            )
        contact.user = user
        contact.save(update_fields=["user", "updated_at"])
    elif not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    profile, _ = HubProfile.objects.get_or_create(contact=contact)
    profile.invited_at = timezone.now()
    profile.invited_by = invited_by
    profile.welcome_message = message.strip()
    profile.save(update_fields=["invited_at", "invited_by", "welcome_message"])
    if send_email:
        _send_after_commit([_invitation_email(contact, profile, invited_by)])
    return profile


def _invitation_email(contact, profile, invited_by) -> EmailMultiAlternatives:
    from urllib.parse import urlencode

    link = _base_url() + reverse("hub:login") + "?" + urlencode({"email": contact.email})
    return _email(
        contact.email,
        "You're invited to Acme Advocates",
        "invitation",
        {
            "contact": contact,
            "message": profile.welcome_message,
            "inviter": invited_by,
            "link": link,
        },
    )


def advocates_invite_bulk(
    *, contacts, invited_by: User | None, message: str = ""
) -> tuple[int, list[str]]:
    """Invite many contacts (a segment). Each is invited in its own transaction so one bad
    contact does not stop the rest; returns (invited, ["email: reason", ...])."""
    invited, skipped = 0, []
    for contact in contacts:
        try:
            advocate_invite(contact=contact, invited_by=invited_by, message=message)
            invited += 1
        except ServiceError as exc:
            skipped.append(f"{contact.email}: {exc.message}")
    return invited, skipped


@transaction.atomic
def hub_profile_update(
    *,
    contact: Contact,
    leaderboard_visibility: str,
    email_digest: str,
    notify_on_review: bool,
    notify_on_badge: bool,
) -> HubProfile:
    if leaderboard_visibility not in HubProfile.Visibility.values:
        raise ServiceError(
            "choose how you appear on the leaderboard", field="leaderboard_visibility"
        )
    if email_digest not in HubProfile.Digest.values:
        raise ServiceError("choose how often we email you", field="email_digest")
    profile = hub_profile_get(contact=contact)
    profile.leaderboard_visibility = leaderboard_visibility
    profile.email_digest = email_digest
    profile.notify_on_review = notify_on_review
    profile.notify_on_badge = notify_on_badge
    profile.save(
        update_fields=[
            "leaderboard_visibility",
            "email_digest",
            "notify_on_review",
            "notify_on_badge",
        ]
    )
    return profile


@transaction.atomic
def motivations_save(*, contact: Contact, ratings: dict[str, int]) -> list[MotivationAnswer]:
    """Store the questionnaire: one answer per topic (0-4); unknown topics are refused."""
    for topic, rating in ratings.items():
        if topic not in MotivationAnswer.Topic.values:
            raise ServiceError(f"unknown topic {topic!r}", field=topic)
        if not isinstance(rating, int) or not 0 <= rating <= 4:
            raise ServiceError(f"{topic}: choose a rating from 0 to 4", field=topic)
    answers = []
    for topic, rating in ratings.items():
        answer, _ = MotivationAnswer.objects.update_or_create(
            contact=contact, topic=topic, defaults={"rating": rating}
        )
        answers.append(answer)
    HubProfile.objects.filter(contact=contact).update(motivations_updated_at=timezone.now())
    event_publish(
        type="hub.motivations_updated",
        contact=contact,
        data={"contact_id": contact.pk, "ratings": ratings},
    )
    return answers


@transaction.atomic
def hub_consents_update(*, contact: Contact, decisions: dict[str, bool], actor=None) -> list:
    """Record the consents the advocate changed in the hub (source=hub); unchanged purposes
    add no row, so the history shows real decisions only."""
    current = consent_current(contact=contact)
    recorded = []
    for purpose, granted in decisions.items():
        if purpose not in Consent.Purpose.values:
            raise ServiceError(f"unknown consent {purpose!r}", field=purpose)
        before = current.get(purpose)
        if before is not None and before.is_granted == granted:
            continue
        if before is None and not granted:
            continue
        recorded.append(
            consent_record(
                contact=contact,
                purpose=purpose,
                is_granted=granted,
                source=Consent.Source.HUB,
                actor=actor,
                note="changed by the advocate in the hub",
            )
        )
    return recorded
