"""Programs, memberships, events, RSVPs and ideas over the JSON API. The endpoints call the
same services as the pages. Reads need ovation.follow_up (CSMs and managers); nominating
needs ovation.follow_up; every other write needs ovation.manage_programs."""

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from ovation.core.api import ApiError, paginate_cursor, require_perm
from ovation.directory.models import Contact

from . import selectors, services
from .models import Event, Idea, Membership, Program, Rsvp

router = Router(tags=["programs"])
READ = "ovation.follow_up"
MANAGE = "ovation.manage_programs"


def _contact(contact_id: int, field: str = "contact_id") -> Contact:
    contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise ApiError(404, f"no contact with id {contact_id}", field=field)
    return contact


# --- programs ------------------------------------------------------------------------------


class ProgramOut(Schema):
    id: int
    name: str
    kind: str
    tagline: str
    description: str
    topic: str
    region_id: int | None
    capacity: int | None
    approval_mode: str
    is_accepting_applications: bool
    eligible_stages: list[str]
    eligible_employee_bands: list[str]
    term_start: date | None
    term_end: date | None
    is_active: bool
    active_count: int
    pending_count: int
    waitlist_count: int


class ProgramIn(Schema):
    name: str
    kind: Program.Kind = Program.Kind.CUSTOM
    tagline: str = ""
    description: str = ""
    topic: str = ""
    capacity: int | None = None
    approval_mode: Program.Approval = Program.Approval.MANUAL
    is_accepting_applications: bool = True
    eligible_stages: list[str] = []
    eligible_employee_bands: list[str] = []
    term_start: date | None = None
    term_end: date | None = None


class ProgramPage(Schema):
    items: list[ProgramOut]
    next: str | None


@router.get("/programs", response=ProgramPage, summary="List programs")
def list_programs(request, cursor: str | None = None, limit: int = 50):
    require_perm(request, READ)
    return paginate_cursor(request, selectors.program_list(), cursor=cursor, limit=limit)


@router.post("/programs", response={201: ProgramOut}, summary="Create a program")
def create_program(request, payload: ProgramIn):
    require_perm(request, MANAGE, write=True)
    program = services.program_create(actor=request.user, **payload.dict())
    return 201, selectors.program_get(pk=program.pk)


@router.get("/programs/{program_id}", response=ProgramOut, summary="One program")
def get_program(request, program_id: int):
    require_perm(request, READ)
    return get_object_or_404(selectors.program_list(), pk=program_id)


class MemberOut(Schema):
    id: int
    program_id: int
    contact_id: int
    contact_name: str
    contact_email: str
    role: str
    status: str
    term_start: date | None
    term_end: date | None
    requested_at: datetime
    joined_at: datetime | None
    waitlisted_at: datetime | None

    @staticmethod
    def resolve_contact_name(obj):
        return obj.contact.full_name

    @staticmethod
    def resolve_contact_email(obj):
        return obj.contact.email


class MemberPage(Schema):
    items: list[MemberOut]
    next: str | None


class MemberQuery(Schema):
    status: Membership.Status | None = None
    cursor: str | None = None
    limit: int = 100


class NominationIn(Schema):
    contact_id: int
    note: str = ""


class DecisionIn(Schema):
    action: str  # approve / decline / remove
    role: Membership.Role = Membership.Role.MEMBER
    reason: str = ""


@router.get("/programs/{program_id}/members", response=MemberPage, summary="Program members")
def list_members(request, program_id: int, params: Query[MemberQuery]):
    require_perm(request, READ)
    program = get_object_or_404(Program, pk=program_id)
    qs = selectors.program_members(
        program=program, statuses=[params.status] if params.status else None
    )
    return paginate_cursor(request, qs, cursor=params.cursor, limit=params.limit)


@router.post(
    "/programs/{program_id}/members",
    response={201: MemberOut},
    summary="Nominate a contact (CSMs and managers); a manager decides",
)
def nominate_member(request, program_id: int, payload: NominationIn):
    require_perm(request, READ, write=True)
    program = get_object_or_404(Program, pk=program_id)
    m = services.membership_nominate(
        program=program, contact=_contact(payload.contact_id), actor=request.user, note=payload.note
    )
    return 201, selectors.program_members(program=program).get(pk=m.pk)


@router.post(
    "/programs/{program_id}/members/{membership_id}/decision",
    response=MemberOut,
    summary="Approve, decline or remove a member (managers)",
)
def decide_member(request, program_id: int, membership_id: int, payload: DecisionIn):
    require_perm(request, MANAGE, write=True)
    m = get_object_or_404(
        Membership.objects.select_related("program", "contact"),
        pk=membership_id,
        program_id=program_id,
    )
    if payload.action == "approve":
        services.membership_approve(membership=m, actor=request.user, role=payload.role)
    elif payload.action == "decline":
        services.membership_decline(membership=m, actor=request.user, reason=payload.reason)
    elif payload.action == "remove":
        services.membership_leave(membership=m, actor=request.user, reason=payload.reason)
    else:
        raise ApiError(422, "action must be approve, decline or remove", field="action")
    return selectors.program_members(program=m.program).get(pk=m.pk)


# --- events --------------------------------------------------------------------------------


class EventOut(Schema):
    id: int
    program_id: int | None
    title: str
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    virtual_url: str
    venue: str
    address: str
    agenda: str
    capacity: int | None
    is_open_to_all: bool
    attendance_points: int
    yes_count: int
    waitlist_count: int
    invited_count: int
    attended_count: int


class EventIn(Schema):
    title: str
    kind: Event.Kind = Event.Kind.MEETING
    program_id: int | None = None
    starts_at: datetime
    ends_at: datetime
    timezone: str = "UTC"
    virtual_url: str = ""
    venue: str = ""
    address: str = ""
    agenda: str = ""
    capacity: int | None = None
    is_open_to_all: bool = False
    attendance_points: int = 50


class EventPage(Schema):
    items: list[EventOut]
    next: str | None


class EventQuery(Schema):
    program_id: int | None = None
    upcoming: bool | None = None
    cursor: str | None = None
    limit: int = 50


@router.get("/events", response=EventPage, summary="List events")
def list_events(request, params: Query[EventQuery]):
    require_perm(request, READ)
    qs = selectors.event_list()
    if params.program_id:
        qs = qs.filter(program_id=params.program_id)
    if params.upcoming is not None:
        from django.utils import timezone

        now = timezone.now()
        qs = qs.filter(ends_at__gte=now) if params.upcoming else qs.filter(ends_at__lt=now)
    return paginate_cursor(request, qs, cursor=params.cursor, limit=params.limit)


@router.post("/events", response={201: EventOut}, summary="Schedule an event")
def create_event(request, payload: EventIn):
    require_perm(request, MANAGE, write=True)
    data = payload.dict()
    program_id = data.pop("program_id")
    program = None
    if program_id is not None:
        program = Program.objects.filter(pk=program_id).first()
        if program is None:
            raise ApiError(422, f"no program with id {program_id}", field="program_id")
    event = services.event_create(actor=request.user, program=program, **data)
    return 201, selectors.event_get(pk=event.pk)


@router.get("/events/{event_id}", response=EventOut, summary="One event")
def get_event(request, event_id: int):
    require_perm(request, READ)
    return get_object_or_404(selectors.event_list(), pk=event_id)


class RsvpOut(Schema):
    id: int
    event_id: int
    contact_id: int
    contact_name: str
    response: str
    is_waitlisted: bool
    responded_at: datetime
    attended: bool | None

    @staticmethod
    def resolve_contact_name(obj):
        return obj.contact.full_name


class RsvpPage(Schema):
    items: list[RsvpOut]
    next: str | None


class RsvpIn(Schema):
    contact_id: int
    response: Rsvp.Response


@router.get("/events/{event_id}/rsvps", response=RsvpPage, summary="Answers to an event")
def list_rsvps(request, event_id: int, cursor: str | None = None, limit: int = 100):
    require_perm(request, READ)
    event = get_object_or_404(Event, pk=event_id)
    qs = Rsvp.objects.filter(event=event).select_related("contact")
    return paginate_cursor(request, qs, cursor=cursor, limit=limit)


@router.post(
    "/events/{event_id}/rsvps",
    response={200: RsvpOut},
    summary="Record a contact's answer (yes over capacity joins the waitlist)",
)
def record_rsvp(request, event_id: int, payload: RsvpIn):
    require_perm(request, MANAGE, write=True)
    event = get_object_or_404(Event, pk=event_id)
    rsvp = services.rsvp_set(
        event=event,
        contact=_contact(payload.contact_id),
        response=payload.response,
        check_access=False,
    )
    return Rsvp.objects.select_related("contact").get(pk=rsvp.pk)


class InviteIn(Schema):
    contact_ids: list[int]


class Blocked(Schema):
    contact_id: int
    reason: str


class InviteOut(Schema):
    invited: list[int]
    already_invited: list[int]
    blocked: list[Blocked]


@router.post(
    "/events/{event_id}/invitations",
    response=InviteOut,
    summary="Invite contacts (each an ask from the shared budget; blocked ones say why)",
)
def invite(request, event_id: int, payload: InviteIn):
    require_perm(request, MANAGE, write=True)
    event = get_object_or_404(Event, pk=event_id)
    contacts = list(Contact.objects.filter(pk__in=payload.contact_ids).select_related("account"))
    found = {c.pk for c in contacts}
    missing = [i for i in payload.contact_ids if i not in found]
    if missing:
        raise ApiError(422, f"no contact with id {missing[0]}", field="contact_ids")
    result = services.event_invite(event=event, contacts=contacts, actor=request.user)
    return {
        "invited": [c.pk for c in result.invited],
        "already_invited": [c.pk for c in result.already],
        "blocked": [{"contact_id": c.pk, "reason": r} for c, r in result.blocked],
    }


class AttendanceIn(Schema):
    attended: list[int] = []
    absent: list[int] = []


class AttendanceOut(Schema):
    attended: int
    absent: int
    unchanged: int


@router.post(
    "/events/{event_id}/attendance",
    response=AttendanceOut,
    summary="Mark attendance in bulk (activities and points, once each)",
)
def mark_attendance(request, event_id: int, payload: AttendanceIn):
    require_perm(request, MANAGE, write=True)
    event = get_object_or_404(Event, pk=event_id)
    return services.attendance_mark(
        event=event, attended_ids=payload.attended, absent_ids=payload.absent, actor=request.user
    )


# --- ideas ---------------------------------------------------------------------------------


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: str
    status_reason: str
    author_id: int | None
    program_id: int | None
    vote_count: int
    comment_count: int
    created_at: datetime
    shipped_at: datetime | None


class IdeaPage(Schema):
    items: list[IdeaOut]
    next: str | None


class IdeaQuery(Schema):
    status: str = ""
    cursor: str | None = None
    limit: int = 50


class IdeaIn(Schema):
    title: str
    description: str = ""
    contact_id: int | None = None
    program_id: int | None = None


class VoteIn(Schema):
    contact_id: int
    voted: bool = True


class VoteOut(Schema):
    idea_id: int
    contact_id: int
    voted: bool
    changed: bool
    vote_count: int


class StatusIn(Schema):
    status: Idea.Status
    reason: str = ""


@router.get("/ideas", response=IdeaPage, summary="List ideas (status: a status or 'open')")
def list_ideas(request, params: Query[IdeaQuery]):
    require_perm(request, READ)
    if params.status and params.status != "open" and params.status not in Idea.Status.values:
        raise ApiError(422, f"unknown status {params.status!r}", field="status")
    qs = selectors.idea_list(status=params.status)
    return paginate_cursor(request, qs, cursor=params.cursor, limit=params.limit)


@router.post("/ideas", response={201: IdeaOut}, summary="Submit an idea (for a contact)")
def create_idea(request, payload: IdeaIn):
    require_perm(request, MANAGE, write=True)
    contact = _contact(payload.contact_id) if payload.contact_id else None
    program = None
    if payload.program_id:
        program = Program.objects.filter(pk=payload.program_id).first()
        if program is None:
            raise ApiError(422, f"no program with id {payload.program_id}", field="program_id")
    idea = services.idea_create(
        title=payload.title,
        description=payload.description,
        contact=contact,
        actor=request.user,
        program=program,
    )
    return 201, idea


@router.post("/ideas/{idea_id}/votes", response=VoteOut, summary="Set a contact's vote")
def vote_idea(request, idea_id: int, payload: VoteIn):
    require_perm(request, MANAGE, write=True)
    idea = get_object_or_404(Idea, pk=idea_id)
    contact = _contact(payload.contact_id)
    changed = services.idea_vote(idea=idea, contact=contact, voted=payload.voted)
    idea.refresh_from_db(fields=["vote_count"])
    return {
        "idea_id": idea.pk,
        "contact_id": contact.pk,
        "voted": payload.voted,
        "changed": changed,
        "vote_count": idea.vote_count,
    }


@router.post(
    "/ideas/{idea_id}/status",
    response=IdeaOut,
    summary="Set the status with a public reason (shipped notifies who asked, once)",
)
def set_idea_status(request, idea_id: int, payload: StatusIn):
    require_perm(request, MANAGE, write=True)
    idea = get_object_or_404(Idea, pk=idea_id)
    return services.idea_status_set(
        idea=idea, status=payload.status, reason=payload.reason, actor=request.user
    )
