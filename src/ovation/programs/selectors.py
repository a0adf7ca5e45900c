"""Reads for programs and community. Lists join what their pages show, so a page costs a
fixed number of queries whatever its length.

For other apps: `program_ids_for_contact(contact=)` (hub audience rules) and
`notices_for(contact=)` (the hub home can show "you said, we did")."""

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from ovation.directory.models import Contact

from .eligibility import Eligibility, eligibility_check
from .models import (
    Event,
    Idea,
    IdeaComment,
    IdeaVote,
    Invitation,
    Membership,
    Notice,
    Program,
    Question,
    QuestionResponse,
    QuestionSet,
    Rsvp,
)

MS = Membership.Status


def program_ids_for_contact(*, contact: Contact) -> list[int]:
    """Programs the contact is an active member of."""
    return list(
        Membership.objects.filter(contact=contact, status=MS.ACTIVE).values_list(
            "program_id", flat=True
        )
    )


def notices_for(*, contact: Contact, limit: int = 5, unread_only: bool = False):
    """The contact's latest hub notices ("you said, we did" first among equals by date)."""
    qs = Notice.objects.filter(contact=contact)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return list(qs.select_related("idea").order_by("-created_at", "-id")[:limit])


def notices_unread_count(*, contact: Contact) -> int:
    return Notice.objects.filter(contact=contact, read_at__isnull=True).count()


# --- programs ------------------------------------------------------------------------------


def program_list(*, include_inactive: bool = True):
    qs = Program.objects.select_related("region").annotate(
        active_count=Count("memberships", filter=Q(memberships__status=MS.ACTIVE)),
        pending_count=Count(
            "memberships", filter=Q(memberships__status__in=[MS.NOMINATED, MS.APPLIED])
        ),
        waitlist_count=Count("memberships", filter=Q(memberships__status=MS.WAITLISTED)),
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "name", "id")


def program_get(*, pk: int) -> Program:
    return program_list().prefetch_related("eligible_industries", "eligible_regions").get(pk=pk)


def program_members(*, program: Program, statuses=None):
    qs = Membership.objects.filter(program=program).select_related(
        "contact", "contact__account", "nominated_by", "decided_by"
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-role", "contact__last_name", "contact__first_name", "id")


def waitlist(*, program: Program):
    return program_members(program=program, statuses=[MS.WAITLISTED]).order_by(
        "waitlisted_at", "id"
    )


def pending_requests(*, program: Program | None = None):
    qs = Membership.objects.filter(status__in=[MS.NOMINATED, MS.APPLIED]).select_related(
        "contact", "contact__account", "program", "nominated_by"
    )
    if program is not None:
        qs = qs.filter(program=program)
    return qs.order_by("requested_at", "id")


@dataclass
class HubProgram:
    program: Program
    membership: Membership | None
    eligibility: Eligibility
    seats_left: int | None

    @property
    def can_apply(self) -> bool:
        m = self.membership
        return (
            self.program.is_accepting_applications
            and self.eligibility.allowed
            and (m is None or m.status == MS.LEFT)
        )


def hub_programs(*, contact: Contact) -> tuple[list[HubProgram], list[HubProgram]]:
    """(my programs: active, waitlisted or applied; other active programs with whether I
    may apply and why not)."""
    programs = list(
        program_list(include_inactive=False).prefetch_related(
            "eligible_industries", "eligible_regions"
        )
    )
    memberships = {
        m.program_id: m for m in Membership.objects.filter(contact=contact).order_by("id")
    }
    mine, others = [], []
    for program in programs:
        m = memberships.get(program.pk)
        seats = (
            None if program.capacity is None else max(program.capacity - program.active_count, 0)
        )
        item = HubProgram(program, m, eligibility_check(program, contact), seats)
        if m is not None and m.status in (MS.ACTIVE, MS.WAITLISTED, MS.APPLIED):
            mine.append(item)
        else:
            others.append(item)
    mine.sort(key=lambda i: (i.membership.status != MS.ACTIVE, i.program.name))
    others.sort(key=lambda i: (not i.can_apply, i.program.name))
    return mine, others


def hub_program_get(*, contact: Contact, pk: int) -> HubProgram | None:
    program = (
        program_list(include_inactive=False)
        .prefetch_related("eligible_industries", "eligible_regions")
        .filter(pk=pk)
        .first()
    )
    if program is None:
        return None
    m = Membership.objects.filter(program=program, contact=contact).first()
    seats = None if program.capacity is None else max(program.capacity - program.active_count, 0)
    return HubProgram(program, m, eligibility_check(program, contact), seats)


# --- events --------------------------------------------------------------------------------


def event_list(*, program: Program | None = None, upcoming: bool | None = None):
    now = timezone.now()
    qs = Event.objects.select_related("program").annotate(
        yes_count=Count(
            "rsvps", filter=Q(rsvps__response="yes", rsvps__is_waitlisted=False), distinct=True
        ),
        waitlist_count=Count(
            "rsvps", filter=Q(rsvps__response="yes", rsvps__is_waitlisted=True), distinct=True
        ),
        invited_count=Count("invitations", distinct=True),
        attended_count=Count("rsvps", filter=Q(rsvps__attended=True), distinct=True),
    )
    if program is not None:
        qs = qs.filter(program=program)
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at", "id")
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    return qs


def events_for_contact(*, contact: Contact, upcoming: bool = True, program_id: int | None = None):
    """Events the contact may see: open ones, their programs' and those they were invited to
    or answered, each with the contact's own RSVP (`my_rsvp`, a list of 0 or 1)."""
    program_ids = program_ids_for_contact(contact=contact)
    cond = (
        Q(is_open_to_all=True)
        | Q(program_id__in=program_ids)
        | Q(pk__in=Invitation.objects.filter(contact=contact).values("event_id"))
        | Q(pk__in=Rsvp.objects.filter(contact=contact).values("event_id"))
    )
    now = timezone.now()
    qs = Event.objects.filter(cond).select_related("program")
    if program_id is not None:
        qs = qs.filter(program_id=program_id)
    if upcoming:
        qs = qs.filter(ends_at__gte=now, status=Event.Status.SCHEDULED).order_by("starts_at")
    else:
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at")
    return qs.prefetch_related(
        Prefetch("rsvps", queryset=Rsvp.objects.filter(contact=contact), to_attr="my_rsvp")
    )


def event_get(*, pk: int) -> Event:
    return event_list().get(pk=pk)


def event_guests(*, event: Event):
    """Everyone invited or answering, one row per contact: (contact, invitation, rsvp)."""
    invitations = {
        i.contact_id: i for i in Invitation.objects.filter(event=event).select_related("invited_by")
    }
    rsvps = {r.contact_id: r for r in Rsvp.objects.filter(event=event)}
    ids = set(invitations) | set(rsvps)
    contacts = Contact.objects.filter(pk__in=ids).select_related("account")
    order = {"yes": 0, "maybe": 1, "no": 2}
    rows = [
        {"contact": c, "invitation": invitations.get(c.pk), "rsvp": rsvps.get(c.pk)}
        for c in contacts
    ]
    rows.sort(
        key=lambda r: (
            order.get(r["rsvp"].response, 3) if r["rsvp"] else 3,
            bool(r["rsvp"] and r["rsvp"].is_waitlisted),
            r["contact"].last_name,
        )
    )
    return rows


# --- ideas ---------------------------------------------------------------------------------

SORTS = {"top": ("-vote_count", "-created_at", "id"), "new": ("-created_at", "-id")}


def idea_list(*, contact: Contact | None = None, status: str = "", sort: str = "top", q: str = ""):
    qs = Idea.objects.select_related("author", "author__account", "program")
    if contact is not None:
        qs = qs.annotate(
            has_voted=Exists(IdeaVote.objects.filter(idea=OuterRef("pk"), contact=contact))
        )
    if status == "open":
        qs = qs.filter(status__in=Idea.OPEN)
    elif status in Idea.Status.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs.order_by(*SORTS.get(sort, SORTS["top"]))


ROADMAP_COLUMNS = [
    Idea.Status.UNDER_REVIEW,
    Idea.Status.PLANNED,
    Idea.Status.IN_PROGRESS,
    Idea.Status.SHIPPED,
]


def roadmap(*, contact: Contact | None = None, per_column: int = 12) -> list[dict]:
    """Columns by status (most voted first; shipped: latest first). One query per column."""
    labels = dict(Idea.Status.choices)
    columns = []
    for status in ROADMAP_COLUMNS:
        sort = ("-shipped_at", "-id") if status == Idea.Status.SHIPPED else SORTS["top"]
        qs = idea_list(contact=contact, status=status).order_by(*sort)
        columns.append({"status": status, "label": labels[status], "ideas": list(qs[:per_column])})
    return columns


def idea_get(*, pk: int, contact: Contact | None = None) -> Idea:
    return idea_list(contact=contact).get(pk=pk)


def idea_comments(*, idea: Idea):
    return IdeaComment.objects.filter(idea=idea).select_related(
        "contact", "contact__account", "staff_author"
    )


def idea_status_counts() -> dict[str, int]:
    rows = Idea.objects.values_list("status").annotate(n=Count("id"))
    return dict(rows)


# --- question sets -------------------------------------------------------------------------


def question_set_results(*, question_set: QuestionSet) -> dict:
    """Aggregates: scale -> average, count and the 1-5 distribution; choice -> count and %
    per option; text -> the answers (no names)."""
    questions = list(question_set.questions.all())
    answers = list(
        QuestionResponse.objects.filter(question_set=question_set).values_list("answers", flat=True)
    )
    out = []
    for q in questions:
        values = [a[str(q.pk)] for a in answers if str(q.pk) in a]
        row = {"question": q, "count": len(values)}
        if q.kind == Question.Kind.SCALE:
            dist = Counter(int(v) for v in values)
            row["average"] = round(sum(values) / len(values), 1) if values else None
            row["distribution"] = [
                {"value": v, "count": dist.get(v, 0), "pct": _pct(dist.get(v, 0), len(values))}
                for v in range(1, 6)
            ]
        elif q.kind == Question.Kind.CHOICE:
            dist = Counter(int(v) for v in values)
            row["options"] = [
                {"label": label, "count": dist.get(i, 0), "pct": _pct(dist.get(i, 0), len(values))}
                for i, label in enumerate(q.options)
            ]
        else:
            row["texts"] = [str(v) for v in values]
        out.append(row)
    return {"responses": len(answers), "questions": out}


def _pct(n: int, total: int) -> int:
    return round(100 * n / total) if total else 0
