"""Programs and memberships: create and edit programs, nominations by CSMs, applications by
advocates, approval by managers, capacity with an ordered waitlist.

Seats are counted while holding the program's row lock (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's IMMEDIATE transaction holds the database write lock), so concurrent
approvals or auto-approved applications can never fill more seats than `capacity`."""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Account, Contact
from ovation.hub.rendering import render_markdown

from ..eligibility import eligibility_check
from ..models import Membership, Program
from .notices import message_send, notice_create

S = Membership.Status
PROGRAM_FIELDS = (
    "name",
    "kind",
    "tagline",
    "description",
    "topic",
    "region",
    "capacity",
    "is_accepting_applications",
    "approval_mode",
    "eligible_stages",
    "eligible_employee_bands",
    "term_start",
    "term_end",
    "is_active",
)


def _validate_program(data: dict) -> None:
    name = (data.get("name") or "").strip()
    if not name:
        raise ServiceError("a program needs a name", field="name")
    if data.get("kind") and data["kind"] not in Program.Kind.values:
        raise ServiceError(f"unknown kind {data['kind']!r}", field="kind")
    if data.get("approval_mode") and data["approval_mode"] not in Program.Approval.values:
        raise ServiceError("unknown approval mode", field="approval_mode")
    for stage in data.get("eligible_stages") or []:
        if stage not in Contact.Stage.values:
            raise ServiceError(f"unknown stage {stage!r}", field="eligible_stages")
    for band in data.get("eligible_employee_bands") or []:
        if band not in Account.EmployeeBand.values:
            raise ServiceError(f"unknown company size {band!r}", field="eligible_employee_bands")
    start, end = data.get("term_start"), data.get("term_end")
    if start and end and end < start:
        raise ServiceError("the term must end after it starts", field="term_end")
    capacity = data.get("capacity")
    if capacity is not None and capacity < 1:
        raise ServiceError(
            "capacity must be at least 1 (leave it empty for no limit)", field="capacity"
        )


@transaction.atomic
def program_create(*, actor=None, eligible_industries=(), eligible_regions=(), **data) -> Program:
    _validate_program(data)
    program = Program(created_by=actor, **{k: v for k, v in data.items() if k in PROGRAM_FIELDS})
    program.name = program.name.strip()
    program.description_html = render_markdown(program.description)
    program.save()
    program.eligible_industries.set(eligible_industries)
    program.eligible_regions.set(eligible_regions)
    return program


@transaction.atomic
def program_update(
    *, program: Program, actor=None, eligible_industries=None, eligible_regions=None, **data
) -> Program:
    """Edit a program; raising the capacity promotes waitlisted members in order."""
    merged = {k: getattr(program, k) for k in PROGRAM_FIELDS} | data
    _validate_program(merged)
    program = Program.objects.select_for_update().get(pk=program.pk)
    changed = []
    for key, value in data.items():
        if key in PROGRAM_FIELDS:
            setattr(program, key, value)
            changed.append(key)
    program.description_html = render_markdown(program.description)
    program.save(update_fields=[*changed, "description_html", "updated_at"])
    if eligible_industries is not None:
        program.eligible_industries.set(eligible_industries)
    if eligible_regions is not None:
        program.eligible_regions.set(eligible_regions)
    waitlist_promote(program=program, actor=actor)
    return program


def _lock_program(program: Program) -> Program:
    return Program.objects.select_for_update().get(pk=program.pk)


def seats_taken(program: Program) -> int:
    return Membership.objects.filter(program=program, status=S.ACTIVE).count()


def _has_seat(program: Program) -> bool:
    return program.capacity is None or seats_taken(program) < program.capacity


def _hub_url(name: str, *args) -> str:
    return settings.OVATION_BASE_URL + reverse(name, args=args)


def _activate(membership: Membership, *, actor, now) -> Membership:
    program = membership.program
    membership.status = S.ACTIVE
    membership.joined_at = now
    membership.waitlisted_at = None
    membership.term_start = program.term_start or timezone.localdate(now)
    membership.term_end = program.term_end
    membership.save(
        update_fields=["status", "joined_at", "waitlisted_at", "term_start", "term_end"]
    )
    # activity_record also publishes the `program.joined` domain event after commit.
    activity_record(
        kind="program.joined",
        contact=membership.contact,
        occurred_at=now,
        source="programs",
        actor=actor,
        data={
            "program_id": program.pk,
            "program_kind": program.kind,
            "program_name": program.name,
            "membership_id": membership.pk,
            "role": membership.role,
        },
    )
    url = reverse("programs:hub-program", args=[program.pk])
    notice_create(
        contact=membership.contact,
        kind="program",
        title=f"Welcome to {program.name}",
        body="You're in. Your upcoming meetings and the other members are on the program page.",
        url=url,
        dedupe_key=f"membership:{membership.pk}:joined:{int(now.timestamp())}",
    )
    message_send(
        contact=membership.contact,
        subject=f"Welcome to {program.name}",
        body=(
            f"Hi {membership.contact.first_name or 'there'},\n\n"
            f"You are now a member of {program.name}. Meetings, members and minutes are on "
            f"your program page: {_hub_url('programs:hub-program', program.pk)}\n\nThe Acme team"
        ),
        dedupe_key=f"membership:{membership.pk}:joined:{int(now.timestamp())}",
        event_type="program.joined",
    )
    return membership


def _waitlist(membership: Membership, *, now) -> Membership:
    membership.status = S.WAITLISTED
    membership.waitlisted_at = now
    membership.save(update_fields=["status", "waitlisted_at"])
    notice_create(
        contact=membership.contact,
        kind="program",
        title=f"You're on the waitlist for {membership.program.name}",
        body="All seats are taken for now. You'll get the next free seat, in order.",
        url=reverse("programs:hub-program", args=[membership.program_id]),
        dedupe_key=f"membership:{membership.pk}:waitlisted:{int(now.timestamp())}",
    )
    return membership


def _seat_or_waitlist(membership: Membership, program: Program, *, actor, now) -> Membership:
    """Called with the program locked: a seat when one is free, else the waitlist."""
    if _has_seat(program):
        return _activate(membership, actor=actor, now=now)
    return _waitlist(membership, now=now)


def _request(*, program: Program, contact: Contact, status: str, note: str, actor) -> Membership:
    """Create or reopen the contact's membership row as nominated/applied (program locked)."""
    now = timezone.now()
    membership = Membership.objects.filter(program=program, contact=contact).first()
    if membership is not None:
        if membership.status in (S.ACTIVE, S.WAITLISTED):
            label = "a member of" if membership.status == S.ACTIVE else "on the waitlist for"
            raise Conflict(f"{contact} is already {label} {program.name}", field="contact")
        if membership.status in Membership.PENDING:
            raise Conflict(
                f"{contact} is already {membership.get_status_display().lower()} for {program.name}",
                field="contact",
            )
        if membership.status == S.DECLINED and status == S.APPLIED and actor is None:
            raise Conflict(
                "your earlier application was declined; please talk to your customer success "
                "manager",
                field="program",
            )
        membership.status = status
        membership.note = note
        membership.requested_at = now
        membership.nominated_by = actor if status == S.NOMINATED else None
        membership.decided_by = None
        membership.decided_at = None
        membership.decision_reason = ""
        membership.left_at = None
        membership.role = Membership.Role.MEMBER
        membership.save()
        return membership
    try:
        with transaction.atomic():
            return Membership.objects.create(
                program=program,
                contact=contact,
                status=status,
                note=note,
                requested_at=now,
                nominated_by=actor if status == S.NOMINATED else None,
            )
    except IntegrityError as exc:
        raise Conflict(f"{contact} already has a place in {program.name}", field="contact") from exc


def membership_apply(*, program: Program, contact: Contact, note: str = "") -> Membership:
    """An advocate applies in the hub. Auto-approval programs seat eligible applicants at once
    (or waitlist them when full); manual ones wait for a manager."""
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        program = _lock_program(program)
        if not program.is_active or not program.is_accepting_applications:
            raise Conflict(f"{program.name} is not taking applications", field="program")
        decision = eligibility_check(program, contact)
        if not decision.allowed:
            raise ServiceError(decision.summary, field="program")
        membership = _request(
            program=program, contact=contact, status=S.APPLIED, note=note, actor=None
        )
        membership.program = program
        if program.approval_mode == Program.Approval.AUTO:
            now = timezone.now()
            membership.decided_at = now
            membership.save(update_fields=["decided_at"])
            _seat_or_waitlist(membership, program, actor=None, now=now)
    return membership


def membership_nominate(*, program: Program, contact: Contact, actor, note: str = "") -> Membership:
    """A CSM (or manager) puts a customer forward; a manager decides."""
    with transaction.atomic():
        program = _lock_program(program)
        if not program.is_active:
            raise Conflict(f"{program.name} is closed", field="program")
        if not contact.is_active:
            raise ServiceError(f"{contact} is inactive", field="contact")
        decision = eligibility_check(program, contact)
        if not decision.allowed:
            raise ServiceError(
                f"{contact} does not qualify: " + "; ".join(decision.reasons), field="contact"
            )
        return _request(
            program=program, contact=contact, status=S.NOMINATED, note=note.strip(), actor=actor
        )


def membership_approve(
    *, membership: Membership, actor, role: str = Membership.Role.MEMBER
) -> Membership:
    """A manager approves a nomination or application: a seat if one is free, else the
    waitlist (in order of approval)."""
    if role not in Membership.Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    with transaction.atomic():
        program = _lock_program(membership.program)
        membership = Membership.objects.select_related("contact").get(pk=membership.pk)
        if membership.status not in Membership.PENDING:
            raise Conflict(
                f"only a nomination or application can be approved (this one is "
                f"{membership.get_status_display().lower()})",
                field="status",
            )
        now = timezone.now()
        membership.program = program
        membership.role = role
        membership.decided_by = actor
        membership.decided_at = now
        membership.save(update_fields=["role", "decided_by", "decided_at"])
        return _seat_or_waitlist(membership, program, actor=actor, now=now)


def membership_decline(*, membership: Membership, actor, reason: str = "") -> Membership:
    with transaction.atomic():
        _lock_program(membership.program)
        membership = Membership.objects.select_related("program", "contact").get(pk=membership.pk)
        if membership.status not in (*Membership.PENDING, S.WAITLISTED):
            raise Conflict("only a pending or waitlisted request can be declined", field="status")
        membership.status = S.DECLINED
        membership.decided_by = actor
        membership.decided_at = timezone.now()
        membership.decision_reason = reason.strip()[:300]
        membership.waitlisted_at = None
        membership.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "waitlisted_at"]
        )
    return membership


def membership_leave(*, membership: Membership, actor=None, reason: str = "") -> Membership:
    """A member leaves (or a manager removes them); the first on the waitlist gets the seat.
    Withdrawing from the waitlist or a pending application also counts as leaving."""
    with transaction.atomic():
        program = _lock_program(membership.program)
        membership = Membership.objects.select_related("contact").get(pk=membership.pk)
        if membership.status not in (S.ACTIVE, S.WAITLISTED, *Membership.PENDING):
            raise Conflict("this membership has already ended", field="status")
        was_active = membership.status == S.ACTIVE
        membership.status = S.LEFT
        membership.left_at = timezone.now()
        membership.waitlisted_at = None
        if reason:
            membership.decision_reason = reason.strip()[:300]
        membership.save(update_fields=["status", "left_at", "waitlisted_at", "decision_reason"])
        membership.program = program
        if was_active:
            waitlist_promote(program=program, actor=actor)
    return membership


def waitlist_promote(*, program: Program, actor=None) -> list[Membership]:
    """Give free seats to the waitlist in order (first waitlisted first). Call inside a
    transaction holding the program lock (every caller here does)."""
    promoted = []
    now = timezone.now()
    while _has_seat(program):
        nxt = (
            Membership.objects.select_related("contact")
            .filter(program=program, status=S.WAITLISTED)
            .order_by("waitlisted_at", "id")
            .first()
        )
        if nxt is None:
            break
        nxt.program = program
        promoted.append(_activate(nxt, actor=actor, now=now))
    return promoted


def membership_set_role(*, membership: Membership, role: str, actor=None) -> Membership:
    if role not in Membership.Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    if membership.status != S.ACTIVE:
        raise Conflict("only active members have a role", field="role")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def membership_set_term(
    *, membership: Membership, term_start: date | None, term_end: date | None
) -> Membership:
    if term_start and term_end and term_end < term_start:
        raise ServiceError("the term must end after it starts", field="term_end")
    membership.term_start, membership.term_end = term_start, term_end
    membership.save(update_fields=["term_start", "term_end"])
    return membership
