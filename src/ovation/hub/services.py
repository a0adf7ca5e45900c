"""Writes of the advocate hub. Every function runs in a transaction, takes keyword-only
arguments and returns what it changed. Points go through `ovation.ledger.services`, the
timeline through `ovation.activity.services`."""

import contextlib
import contextvars
import hashlib
import hmac
import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.directory.models import Consent, Contact
from ovation.directory.selectors import consent_current
from ovation.directory.services import consent_record
from ovation.ledger.services import balance_get, ledger_credit
from ovation.users.models import User

from .models import (
    PROOF_EXTENSIONS,
    PROOF_MAX_BYTES,
    Badge,
    BadgeAward,
    Challenge,
    ChallengeQuestion,
    HubLoginToken,
    HubProfile,
    Level,
    MotivationAnswer,
    Submission,
    SubmissionEvent,
    token_digest,
)
from .rendering import render_markdown

logger = logging.getLogger(__name__)

LOGIN_REQUESTS_PER_EMAIL = 5
LOGIN_REQUEST_WINDOW = 15 * 60


def _base_url() -> str:
    return settings.OVATION_BASE_URL.rstrip("/")


_muted = contextvars.ContextVar("hub_emails_muted", default=False)


@contextlib.contextmanager
def emails_muted():
    """No hub emails inside this block (demo data, bulk back-fills)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _send_after_commit(messages: list[EmailMultiAlternatives]) -> None:
    if _muted.get():
        return

    def send():
        if not messages:
            return
        with get_connection() as connection:
            for message in messages:
                message.connection = connection
                try:
                    message.send()
                except OSError:  # the mail server is down: log, never break the request
                    logger.exception("hub email to %s failed", message.to)

    transaction.on_commit(send)


def _email(to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    context = {"base_url": _base_url(), **context}
    text = render_to_string(f"hub/email/{template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    return message


# --- Sign-in ------------------------------------------------------------------------------------


def _email_key(email: str) -> str:
    return "hub-login-email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def login_rate_exceeded(*, email: str) -> bool:
    """Count a sign-in request for this address (whether or not it exists, so the answer
    reveals nothing) and say whether it is over the limit for the window."""
    key = _email_key(email)
    cache.add(key, 0, LOGIN_REQUEST_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOGIN_REQUEST_WINDOW)
        count = 1
    return count > LOGIN_REQUESTS_PER_EMAIL


def advocate_user_for_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return (
        User.objects.filter(
            email__iexact=email,
            role=User.Role.ADVOCATE,
            is_active=True,
            contact__is_active=True,
        )
        .select_related("contact")
        .first()
    )


@transaction.atomic
def login_token_request(*, email: str, ip: str | None = None) -> HubLoginToken | None:
    """Email a one-time code and a magic link to an advocate. Returns the token, or None for
    an address that is not an active advocate (the caller answers the same either way)."""
    user = advocate_user_for_email(email)
    if user is None:
        return None
    code = HubLoginToken.new_code()
    secret = HubLoginToken.new_link_secret()
    token = HubLoginToken.objects.create(
        user=user,
        code_hash=token_digest(f"{user.pk}:{code}"),
        link_hash=token_digest(secret),
        expires_at=timezone.now() + timedelta(seconds=HubLoginToken.LIFETIME_SECONDS),
        requested_ip=ip,
    )
    link = _base_url() + reverse("hub:login-link", args=[secret])
    contact = user.contact
    message = _email(
        user.email,
        f"Your sign-in code: {code[:4]} {code[4:]}",
        "login",
        {"code": f"{code[:4]} {code[4:]}", "link": link, "contact": contact, "minutes": 10},
    )
    _send_after_commit([message])
    # The console mail backend prints it in development ("the code is in the server console").
    return token


def _consume(token_id: int) -> bool:
    """Use a token once: a conditional UPDATE, so two requests racing with the same code or
    link cannot both sign in."""
    now = timezone.now()
    return bool(
        HubLoginToken.objects.filter(
            pk=token_id,
            used_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=HubLoginToken.MAX_ATTEMPTS,
        ).update(used_at=now)
    )


def _burn_others(user: User) -> None:
    HubLoginToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


INVALID_CODE = (
    "That code is not right or has expired. Check the latest email, or ask for a new code."
)


def login_code_verify(*, email: str, code: str) -> User:
    """Sign in with the emailed code. Wrong guesses count against the newest open token
    (5 per token); raises ServiceError(field="code") when the code is not valid. Not one
    transaction on purpose: the wrong-guess count must stick when the error is raised."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    user = advocate_user_for_email(email)
    if user is None or len(code) != 8:
        raise ServiceError(INVALID_CODE, field="code")
    digest = token_digest(f"{user.pk}:{code}")
    open_tokens = list(
        HubLoginToken.objects.filter(
            user=user,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            attempts__lt=HubLoginToken.MAX_ATTEMPTS,
        ).order_by("-created_at")[:5]
    )
    for token in open_tokens:
        if hmac.compare_digest(token.code_hash, digest):
            with transaction.atomic():
                if _consume(token.pk):
                    _burn_others(user)
                    return user
    if open_tokens:
        HubLoginToken.objects.filter(pk=open_tokens[0].pk).update(attempts=F("attempts") + 1)
    raise ServiceError(INVALID_CODE, field="code")


def login_link_peek(*, secret: str) -> HubLoginToken | None:
    """The token behind a magic link, if still usable. Reading never consumes it: mail
    scanners open links before people do."""
    token = (
        HubLoginToken.objects.select_related("user")
        .filter(link_hash=token_digest(secret or ""))
        .first()
    )
    if token is None or not token.is_usable:
        return None
    return token


@transaction.atomic
def login_link_consume(*, secret: str) -> User:
    token = login_link_peek(secret=secret)
    if token is None or not _consume(token.pk):
        raise ServiceError("This sign-in link has expired or was already used.", field="link")
    _burn_others(token.user)
    return token.user


@transaction.atomic
def hub_login_record(*, contact: Contact) -> HubProfile:
    profile = hub_profile_get(contact=contact)
    now = timezone.now()
    updates = {"last_seen_at": now}
    if profile.first_login_at is None:
        updates["first_login_at"] = now
    HubProfile.objects.filter(pk=profile.pk).update(**updates)
    activity_record(kind="hub.login", contact=contact, source="hub", publish=False)
    return profile


# --- Profiles and invitations -------------------------------------------------------------------


def hub_profile_get(*, contact: Contact) -> HubProfile:
    profile = getattr(contact, "_hub_profile_cache", None)
    if profile is None:
        profile, _ = HubProfile.objects.get_or_create(contact=contact)
        contact._hub_profile_cache = profile
    return profile


@transaction.atomic
def advocate_invite(
    *, contact: Contact, invited_by: User | None, message: str = "", send_email: bool = True
) -> HubProfile:
    """Make the contact an advocate (a hub user linked to the contact, created if needed) and
    email a personal invitation with a sign-in link. Re-inviting sends the invitation again."""
    contact = Contact.objects.select_for_update().select_related("user").get(pk=contact.pk)
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


# --- Challenges ---------------------------------------------------------------------------------


def _validate_challenge(challenge: Challenge, questions: list[dict] | None) -> None:
    if not challenge.title.strip():
        raise ServiceError("give the challenge a title", field="title")
    if challenge.kind not in Challenge.Kind.values:
        raise ServiceError(f"unknown type {challenge.kind!r}", field="kind")
    if challenge.starts_at and challenge.ends_at and challenge.ends_at <= challenge.starts_at:
        raise ServiceError("the end must be after the start", field="ends_at")
    if (
        challenge.kind == Challenge.Kind.REVIEW
        and challenge.points
        and not challenge.disclosure_text.strip()
    ):
        raise ServiceError(
            "a review challenge that offers points needs the incentive disclosure text",
            field="disclosure_text",
        )
    if challenge.kind == Challenge.Kind.SOCIAL_SHARE and not challenge.share_text.strip():
        raise ServiceError("give advocates the text to share", field="share_text")
    if challenge.total_limit is not None and challenge.total_limit < challenge.completions_count:
        raise ServiceError(
            f"{challenge.completions_count} places are already taken; the limit cannot be lower",
            field="total_limit",
        )
    for stage in challenge.audience_stages:
        if stage not in Contact.Stage.values:
            raise ServiceError(f"unknown stage {stage!r}", field="audience_stages")
    from .models import Motivator

    for motivator in challenge.motivators:
        if motivator not in Motivator.values:
            raise ServiceError(f"unknown motivator {motivator!r}", field="motivators")
    if questions is not None:
        for number, q in enumerate(questions, start=1):
            if not (q.get("prompt") or "").strip():
                raise ServiceError(f"question {number}: write the question", field="questions")
            options = [o for o in q.get("options") or [] if str(o).strip()]
            if options:
                correct = q.get("correct_option")
                if correct is None or not 0 <= int(correct) < len(options):
                    raise ServiceError(
                        f"question {number}: mark which option is correct", field="questions"
                    )
            elif not (q.get("answer_text") or "").strip():
                raise ServiceError(
                    f"question {number}: give options or the expected answer", field="questions"
                )
    if challenge.has_questions and challenge.status == Challenge.Status.PUBLISHED:
        count = (
            len(questions)
            if questions is not None
            else (challenge.questions.count() if challenge.pk else 0)
        )
        if count == 0:
            raise ServiceError(
                "a quiz or learning check needs at least one question", field="questions"
            )


@transaction.atomic
def challenge_save(
    *,
    challenge: Challenge,
    actor: User | None,
    questions: list[dict] | None = None,
    industry_ids: list[int] | None = None,
    region_ids: list[int] | None = None,
) -> Challenge:
    """Create or update a challenge (body rendered and sanitised; questions replaced when
    given). Raises ServiceError naming the field, and then nothing is saved."""
    _validate_challenge(challenge, questions)
    challenge.body_html = render_markdown(challenge.body)
    if challenge.pk is None:
        challenge.created_by = actor
    challenge.save()
    if industry_ids is not None:
        challenge.audience_industries.set(industry_ids)
    if region_ids is not None:
        challenge.audience_regions.set(region_ids)
    if questions is not None:
        challenge.questions.all().delete()
        ChallengeQuestion.objects.bulk_create(
            [
                ChallengeQuestion(
                    challenge=challenge,
                    position=i,
                    prompt=q["prompt"].strip(),
                    options=[str(o).strip() for o in q.get("options") or [] if str(o).strip()],
                    correct_option=(
                        int(q["correct_option"])
                        if q.get("options") and q.get("correct_option") is not None
                        else None
                    ),
                    answer_text=(q.get("answer_text") or "").strip(),
                    explanation=(q.get("explanation") or "").strip(),
                )
                for i, q in enumerate(questions)
            ]
        )
    return challenge


def quiz_score(questions: list[ChallengeQuestion], answers: dict[str, str]) -> tuple[int, int]:
    """(correct, total) for the answers keyed by question id (pure)."""
    correct = sum(1 for q in questions if q.is_correct(answers.get(str(q.pk))))
    return correct, len(questions)


# --- Submissions --------------------------------------------------------------------------------


def _validate_file(upload) -> str:
    ext = Path(upload.name or "").suffix.lower()
    if ext not in PROOF_EXTENSIONS:
        raise ServiceError(
            "upload a PDF, image (PNG, JPG, GIF, WebP), text, CSV, Word or PowerPoint file",
            field="proof_file",
        )
    if upload.size > PROOF_MAX_BYTES:
        raise ServiceError(
            f"the file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB", field="proof_file"
        )
    head = upload.read(512)
    upload.seek(0)
    if b"<html" in head.lower() or b"<script" in head.lower() or b"<svg" in head.lower():
        raise ServiceError(
            "this file looks like a web page, which is not accepted", field="proof_file"
        )
    return ext


def _log(submission: Submission, status: str, actor=None, note: str = "") -> None:
    SubmissionEvent.objects.create(submission=submission, status=status, actor=actor, note=note)


@transaction.atomic
def submission_create(
    *,
    challenge: Challenge,
    contact: Contact,
    proof_url: str = "",
    proof_text: str = "",
    proof_file=None,
    answers: dict[str, str] | None = None,
) -> Submission:
    """Complete a challenge. Checks that it is live and meant for the contact, the proof, the
    per-person limit (a slot, unique per challenge and contact) and the total limit (a place
    reserved with a conditional UPDATE). Quizzes are scored at once; a failed attempt is kept
    (status failed) and holds no place. Automatic challenges are approved in the same
    transaction."""
    from .selectors import challenge_is_for, contact_level

    if not challenge.is_live():
        raise Conflict("This challenge is not open right now.", field="challenge")
    if not challenge_is_for(challenge, contact, level=contact_level(contact=contact)):
        raise NotFound("This challenge is not available to you.", field="challenge")

    proof_url, proof_text = (proof_url or "").strip(), (proof_text or "").strip()
    if challenge.proof_kind == Challenge.Proof.URL:
        if not proof_url.startswith(("http://", "https://")):
            raise ServiceError("paste the link (starting with https://)", field="proof_url")
    elif challenge.proof_kind == Challenge.Proof.TEXT:
        if len(proof_text) < 3:
            raise ServiceError("tell us in a few words what you did", field="proof_text")
    elif challenge.proof_kind == Challenge.Proof.FILE:
        if not proof_file:
            raise ServiceError("attach the file", field="proof_file")
        _validate_file(proof_file)
    if challenge.proof_kind != Challenge.Proof.FILE:
        proof_file = None

    score = total = None
    answers = {str(k): str(v) for k, v in (answers or {}).items()}
    if challenge.has_questions:
        questions = list(challenge.questions.all())
        score, total = quiz_score(questions, answers)
        if total and score * 100 < challenge.pass_mark_percent * total:
            failed = Submission.objects.create(
                challenge=challenge,
                contact=contact,
                status=Submission.Status.FAILED,
                answers=answers,
                score=score,
                score_total=total,
            )
            _log(failed, Submission.Status.FAILED, note=f"{score} of {total} correct")
            return failed

    held = set(
        Submission.objects.filter(
            challenge=challenge, contact=contact, slot__isnull=False
        ).values_list("slot", flat=True)
    )
    free = [s for s in range(1, challenge.per_person_limit + 1) if s not in held]
    submission = None
    for slot in free:
        try:
            with transaction.atomic():
                reserved = (
                    Challenge.objects.filter(pk=challenge.pk)
                    .filter(Q(total_limit__isnull=True) | Q(completions_count__lt=F("total_limit")))
                    .update(completions_count=F("completions_count") + 1)
                )
                if not reserved:
                    raise Conflict(
                        "All places for this challenge have been taken.", field="challenge"
                    )
                submission = Submission(
                    challenge=challenge,
                    contact=contact,
                    status=Submission.Status.PENDING,
                    slot=slot,
                    proof_url=proof_url,
                    proof_text=proof_text,
                    answers=answers,
                    score=score,
                    score_total=total,
                )
                if proof_file:
                    submission.proof_file_name = Path(proof_file.name).name[:200]
                    submission.proof_file.save(proof_file.name, proof_file, save=False)
                submission.save()
            break
        except IntegrityError:
            # Another request took this slot at the same moment; try the next one.
            submission = None
            continue
    if submission is None:
        if challenge.per_person_limit == 1:
            raise Conflict("You have already completed this challenge.", field="challenge")
        raise Conflict(
            f"You have completed this challenge the maximum {challenge.per_person_limit} times.",
            field="challenge",
        )
    _log(submission, Submission.Status.PENDING, note="submitted")
    if challenge.approval_mode == Challenge.Approval.AUTO:
        submission, _ = submission_approve(submission=submission, actor=None)
    return submission


@transaction.atomic
def submission_approve(*, submission: Submission, actor: User | None) -> tuple[Submission, bool]:
    """Approve a pending submission: points through the ledger and a `challenge.completed`
    activity, exactly once. The status change is a conditional UPDATE (pending -> approved),
    so a second approval, even at the same moment, changes nothing and returns False."""
    now = timezone.now()
    challenge = Challenge.objects.get(pk=submission.challenge_id)
    updated = Submission.objects.filter(pk=submission.pk, status=Submission.Status.PENDING).update(
        status=Submission.Status.APPROVED,
        reviewed_by=actor,
        reviewed_at=now,
        points_awarded=challenge.points,
    )
    submission = Submission.objects.select_related("challenge", "contact__account").get(
        pk=submission.pk
    )
    if not updated:
        if submission.status == Submission.Status.APPROVED:
            return submission, False
        raise Conflict(
            f"This submission is {submission.get_status_display().lower()}; it cannot be approved.",
            field="status",
        )
    contact = submission.contact
    if challenge.points:
        ledger_credit(
            contact=contact,
            points=challenge.points,
            idempotency_key=f"submission:{submission.pk}:approve",
            source_type="hub.submission",
            source_id=submission.pk,
            reason=f"Challenge: {challenge.title}"[:500],
            actor=actor,
        )
    activity_record(
        kind="challenge.completed",
        contact=contact,
        points=challenge.points,
        source="hub",
        actor=actor,
        external_id=f"submission:{submission.pk}:approve",
        data={
            "submission_id": submission.pk,
            "challenge_id": challenge.pk,
            "challenge_kind": challenge.kind,
            "challenge_title": challenge.title,
            "motivators": challenge.motivators,
        },
    )
    _log(
        submission,
        Submission.Status.APPROVED,
        actor=actor,
        note="approved" if actor else "approved automatically",
    )
    badges_evaluate(contact=contact)
    profile = hub_profile_get(contact=contact)
    if actor is not None and profile.notify_on_review:
        _send_after_commit(
            [
                _email(
                    contact.email,
                    f"Approved: {challenge.title} (+{challenge.points} points)",
                    "reviewed",
                    {"submission": submission, "challenge": challenge, "contact": contact},
                )
            ]
        )
    return submission, True


@transaction.atomic
def submission_reject(*, submission: Submission, actor: User | None, reason: str) -> Submission:
    """Reject a pending submission with a reason the advocate sees; its place and slot are
    released so they can try again."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ServiceError("tell the advocate why (they will see this)", field="reason")
    updated = Submission.objects.filter(pk=submission.pk, status=Submission.Status.PENDING).update(
        status=Submission.Status.REJECTED,
        slot=None,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        reject_reason=reason[:500],
    )
    submission = Submission.objects.select_related("challenge", "contact").get(pk=submission.pk)
    if not updated:
        raise Conflict(
            f"This submission is {submission.get_status_display().lower()}; it cannot be rejected.",
            field="status",
        )
    Challenge.objects.filter(pk=submission.challenge_id, completions_count__gt=0).update(
        completions_count=F("completions_count") - 1
    )
    _log(submission, Submission.Status.REJECTED, actor=actor, note=reason[:500])
    profile = hub_profile_get(contact=submission.contact)
    if profile.notify_on_review:
        _send_after_commit(
            [
                _email(
                    submission.contact.email,
                    f"About your submission: {submission.challenge.title}",
                    "reviewed",
                    {
                        "submission": submission,
                        "challenge": submission.challenge,
                        "contact": submission.contact,
                    },
                )
            ]
        )
    return submission


def submissions_bulk_approve(*, ids: list[int], actor: User) -> tuple[int, int]:
    """Approve many pending submissions; returns (approved now, skipped). Each approval is its
    own transaction so one problem does not undo the others."""
    approved = skipped = 0
    for submission in Submission.objects.filter(pk__in=ids).order_by("pk"):
        try:
            _, changed = submission_approve(submission=submission, actor=actor)
        except ServiceError:
            changed = False
        approved += int(changed)
        skipped += int(not changed)
    return approved, skipped


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
    from .selectors import contact_level

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
    from .defaults import BADGES, LEVELS

    if not Level.objects.exists():
        Level.objects.bulk_create([Level(name=n, threshold=t, description=d) for n, t, d in LEVELS])
    if not Badge.objects.exists():
        Badge.objects.bulk_create(
            [
                Badge(slug=s, name=n, description=d, artwork=a, rule=r, threshold=t)
                for s, n, d, a, r, t in BADGES
            ]
        )
