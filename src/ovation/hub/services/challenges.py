"""Challenges and submissions: create, complete, review."""

from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.directory.models import Contact
from ovation.ledger.services import ledger_credit
from ovation.users.models import User

from ..models import (
    PROOF_EXTENSIONS,
    PROOF_MAX_BYTES,
    Challenge,
    ChallengeQuestion,
    Submission,
    SubmissionEvent,
)
from ..rendering import render_markdown
from ._common import _email, _send_after_commit, hub_profile_get
from .recognition import badges_evaluate

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
    from ..models import Motivator

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
    from ..selectors import challenge_is_for, contact_level

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
