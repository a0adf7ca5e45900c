"""Ideas ("having a say"): submit, vote (one per person), comment, status with a public
reason, and "you said, we did" when an idea ships. Also the structured input of CAB sessions
(question sets)."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record, event_publish
from ovation.automations.email import email_send
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Contact

from ..models import (
    Event,
    Idea,
    IdeaComment,
    IdeaStatusChange,
    IdeaVote,
    Program,
    Question,
    QuestionResponse,
    QuestionSet,
)
from .notices import contact_context, notice_create

IS = Idea.Status


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < 5:
        raise ServiceError("give your idea a title of at least 5 characters", field="title")
    if len(title) > 160:
        raise ServiceError("the title can be at most 160 characters", field="title")
    return title


@transaction.atomic
def idea_create(
    *,
    title: str,
    description: str = "",
    contact: Contact | None = None,
    actor=None,
    program: Program | None = None,
) -> Idea:
    """A customer (or staff on their behalf) submits an idea. The author's own vote counts."""
    title = _clean_title(title)
    description = (description or "").strip()
    if len(description) > 5000:
        raise ServiceError("the description can be at most 5,000 characters", field="description")
    idea = Idea.objects.create(
        title=title, description=description, author=contact, created_by=actor, program=program
    )
    if contact is not None:
        idea_vote(idea=idea, contact=contact, voted=True)
        activity_record(
            kind="idea.submitted",
            contact=contact,
            source="programs",
            data={"idea_id": idea.pk, "summary": title},
        )
        idea.refresh_from_db(fields=["vote_count"])
    return idea


def idea_vote(*, idea: Idea, contact: Contact, voted: bool = True) -> bool:
    """Set the contact's vote (True: +1, False: none). Returns True when it changed. The
    unique constraint keeps one vote per person even when two requests race."""
    with transaction.atomic():
        if voted:
            if not Idea.objects.filter(pk=idea.pk, status__in=Idea.OPEN).exists():
                raise Conflict("voting is closed for this idea", field="idea")
            try:
                with transaction.atomic():
                    IdeaVote.objects.create(idea=idea, contact=contact)
            except IntegrityError:
                return False
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
            return True
        deleted, _ = IdeaVote.objects.filter(idea=idea, contact=contact).delete()
        if deleted:
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") - deleted)
        return bool(deleted)


@transaction.atomic
def idea_comment(
    *, idea: Idea, body: str, contact: Contact | None = None, actor=None
) -> IdeaComment:
    body = (body or "").strip()
    if not body:
        raise ServiceError("write a comment first", field="body")
    if len(body) > 3000:
        raise ServiceError("a comment can be at most 3,000 characters", field="body")
    if contact is None and actor is None:
        raise ServiceError("a comment needs an author", field="body")
    comment = IdeaComment.objects.create(
        idea=idea, contact=contact, staff_author=actor if contact is None else None, body=body
    )
    Idea.objects.filter(pk=idea.pk).update(comment_count=F("comment_count") + 1)
    return comment


def idea_status_set(*, idea: Idea, status: str, reason: str = "", actor=None) -> Idea:
    """The product team moves an idea on, with a public reason (required to decline or
    ship). Shipping notifies the author, voters and commenters once each, however many times
    the idea is shipped."""
    if status not in IS.values:
        raise ServiceError(f"unknown status {status!r}", field="status")
    reason = (reason or "").strip()
    if status in (IS.DECLINED, IS.SHIPPED) and not reason:
        raise ServiceError(
            "tell customers why (this reason is public)"
            if status == IS.DECLINED
            else "tell customers what shipped (this reason is public)",
            field="reason",
        )
    with transaction.atomic():
        idea = Idea.objects.select_for_update().get(pk=idea.pk)
        previous = idea.status
        if previous == status and reason == idea.status_reason:
            return idea
        now = timezone.now()
        idea.status = status
        idea.status_reason = reason
        idea.status_changed_at = now
        first_ship = status == IS.SHIPPED and idea.shipped_at is None
        if status == IS.SHIPPED:
            idea.shipped_at = idea.shipped_at or now
        idea.save(update_fields=["status", "status_reason", "status_changed_at", "shipped_at"])
        IdeaStatusChange.objects.create(
            idea=idea, from_status=previous, to_status=status, reason=reason, actor=actor
        )
        if status == IS.SHIPPED:
            recipients = idea_you_said_we_did(idea=idea)
            if first_ship:
                event_publish(
                    type="idea.shipped",
                    data={
                        "idea_id": idea.pk,
                        "title": idea.title,
                        "reason": reason,
                        "votes": idea.vote_count,
                        "notified_contact_ids": [c.pk for c in recipients],
                    },
                    contact=idea.author,
                )
    return idea


def idea_audience(idea: Idea) -> list[Contact]:
    """The author, everyone who voted and everyone who commented: each once."""
    from django.db.models import Q

    return list(
        Contact.objects.filter(
            Q(pk=idea.author_id) | Q(idea_votes__idea=idea) | Q(idea_comments__idea=idea),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def idea_you_said_we_did(*, idea: Idea) -> list[Contact]:
    """One hub notice and one email per person (keyed by idea and contact)."""
    recipients = idea_audience(idea)
    url = reverse("programs:hub-idea", args=[idea.pk])
    for contact in recipients:
        key = f"idea:{idea.pk}:shipped:{contact.pk}"
        if contact.pk == idea.author_id:
            body = f"You suggested it, and it's live: {idea.status_reason}"
        else:
            body = f"You backed this idea, and it's live: {idea.status_reason}"
        notice_create(
            contact=contact,
            kind="you_said_we_did",
            title=f"You said, we did: {idea.title}",
            body=body,
            url=url,
            idea=idea,
            dedupe_key=key,
        )
        if contact.email:
            email_send(
                to=contact.email,
                template="you_said_we_did",
                context={
                    "contact": contact_context(contact),
                    "event": {
                        "title": idea.title,
                        "idea_id": idea.pk,
                        "reason": idea.status_reason,
                        "url": settings.OVATION_BASE_URL + url,
                    },
                },
                event_type="idea.shipped",
                contact=contact,
                dedupe_key=key,
            )
    return recipients


# --- question sets (structured input at CAB sessions) ---------------------------------------


def _parse_questions(questions: list[dict]) -> list[Question]:
    parsed = []
    for n, q in enumerate(questions, start=1):
        prompt = (q.get("prompt") or "").strip()
        kind = q.get("kind") or Question.Kind.SCALE
        if not prompt:
            raise ServiceError(f"question {n}: write the question", field="questions")
        if kind not in Question.Kind.values:
            raise ServiceError(f"question {n}: unknown kind {kind!r}", field="questions")
        options = [o.strip() for o in q.get("options") or [] if o and o.strip()]
        if kind == Question.Kind.CHOICE and len(options) < 2:
            raise ServiceError(f"question {n}: give at least two choices", field="questions")
        parsed.append(
            Question(
                position=n,
                prompt=prompt[:300],
                kind=kind,
                options=options if kind == Question.Kind.CHOICE else [],
            )
        )
    if not parsed:
        raise ServiceError("add at least one question", field="questions")
    return parsed


@transaction.atomic
def question_set_save(
    *, event: Event, title: str, questions: list[dict], intro: str = ""
) -> QuestionSet:
    """Create or replace an event's question set (questions can change until answers come)."""
    if not (title or "").strip():
        raise ServiceError("give the question set a title", field="title")
    parsed = _parse_questions(questions)
    qset = QuestionSet.objects.filter(event=event).first()
    if qset is None:
        qset = QuestionSet.objects.create(event=event, title=title.strip(), intro=intro.strip())
    else:
        if qset.responses.exists():
            raise Conflict(
                "members have already answered; the questions can no longer change",
                field="questions",
            )
        qset.title, qset.intro = title.strip(), intro.strip()
        qset.save(update_fields=["title", "intro"])
        qset.questions.all().delete()
    for q in parsed:
        q.question_set = qset
    Question.objects.bulk_create(parsed)
    return qset


@transaction.atomic
def question_set_configure(
    *, question_set: QuestionSet, is_open: bool, results_shared: bool
) -> QuestionSet:
    question_set.is_open = is_open
    question_set.results_shared = results_shared
    question_set.save(update_fields=["is_open", "results_shared"])
    return question_set


def question_response_submit(
    *, question_set: QuestionSet, contact: Contact, answers: dict
) -> QuestionResponse:
    """One answer set per person; each answer checked against its question (scale 1-5, a
    listed choice, text up to 2,000 characters). Unanswered questions are allowed."""
    if not question_set.is_open:
        raise Conflict("this question set is closed", field="answers")
    clean: dict[str, int | str] = {}
    for q in question_set.questions.all():
        raw = answers.get(str(q.pk), answers.get(q.pk))
        if raw in (None, ""):
            continue
        label = f"question {q.position}"
        if q.kind == Question.Kind.TEXT:
            text = str(raw).strip()
            if len(text) > 2000:
                raise ServiceError(f"{label}: at most 2,000 characters", field=f"q{q.pk}")
            if text:
                clean[str(q.pk)] = text
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise ServiceError(f"{label}: pick one of the options", field=f"q{q.pk}") from exc
        if q.kind == Question.Kind.SCALE and not 1 <= value <= 5:
            raise ServiceError(f"{label}: choose from 1 to 5", field=f"q{q.pk}")
        if q.kind == Question.Kind.CHOICE and not 0 <= value < len(q.options):
            raise ServiceError(f"{label}: pick one of the options", field=f"q{q.pk}")
        clean[str(q.pk)] = value
    if not clean:
        raise ServiceError("answer at least one question", field="answers")
    try:
        with transaction.atomic():
            return QuestionResponse.objects.create(
                question_set=question_set, contact=contact, answers=clean
            )
    except IntegrityError as exc:
        raise Conflict("you have already answered, thank you!", field="answers") from exc
