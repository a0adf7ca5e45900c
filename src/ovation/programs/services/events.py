"""Events: scheduling, invitations drawn from the shared ask budget, RSVPs with a waitlist,
reminders, attendance (activities and points) and minutes.

A "yes" takes a seat while the event's row is locked; when a confirmed guest changes their
answer, the first waitlisted "yes" is promoted."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from ovation.activity.services import activity_record
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.directory.models import Contact
from ovation.hub.rendering import render_markdown
from ovation.ledger.services import ledger_credit
from ovation.references.budget import (
    Ask,
    BudgetExceeded,
    ask_budget_check,
    ask_record,
    ask_respond,
)

from ..ics import event_ics
from ..models import Event, Invitation, Membership, Rsvp
from ..times import event_times, zone_valid
from .notices import message_send, notice_create

R = Rsvp.Response
EVENT_FIELDS = (
    "title",
    "kind",
    "program",
    "starts_at",
    "ends_at",
    "timezone",
    "virtual_url",
    "venue",
    "address",
    "agenda",
    "capacity",
    "is_open_to_all",
    "attendance_points",
)


def _validate_event(data: dict) -> None:
    if not (data.get("title") or "").strip():
        raise ServiceError("an event needs a title", field="title")
    if data.get("kind") and data["kind"] not in Event.Kind.values:
        raise ServiceError(f"unknown kind {data['kind']!r}", field="kind")
    if not zone_valid(data.get("timezone") or ""):
        raise ServiceError(
            f"unknown time zone {data.get('timezone')!r} (use an IANA name such as "
            "Europe/Brussels)",
            field="timezone",
        )
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is None:
        raise ServiceError("a start time is required", field="starts_at")
    if ends is None:
        raise ServiceError("an end time is required", field="ends_at")
    if timezone.is_naive(starts) or timezone.is_naive(ends):
        raise ServiceError("times must include their time zone", field="starts_at")
    if ends <= starts:
        raise ServiceError("the event must end after it starts", field="ends_at")
    if ends - starts > timedelta(days=14):
        raise ServiceError("an event can last at most 14 days", field="ends_at")
    capacity = data.get("capacity")
    if capacity is not None and capacity < 1:
        raise ServiceError(
            "capacity must be at least 1 (leave it empty for no limit)", field="capacity"
        )


def _render(event: Event) -> None:
    event.agenda_html = render_markdown(event.agenda)
    event.minutes_html = render_markdown(event.minutes)


@transaction.atomic
def event_create(*, actor=None, **data) -> Event:
    _validate_event(data)
    event = Event(created_by=actor, **{k: v for k, v in data.items() if k in EVENT_FIELDS})
    event.title = event.title.strip()
    _render(event)
    event.save()
    return event


@transaction.atomic
def event_update(*, event: Event, actor=None, **data) -> Event:
    """Edit an event; a higher capacity promotes waitlisted guests."""
    merged = {k: getattr(event, k) for k in EVENT_FIELDS} | data
    _validate_event(merged)
    event = Event.objects.select_for_update().get(pk=event.pk)
    changed = [k for k in data if k in EVENT_FIELDS]
    for key in changed:
        setattr(event, key, data[key])
    _render(event)
    event.save(update_fields=[*changed, "agenda_html", "minutes_html", "updated_at"])
    rsvp_waitlist_promote(event=event)
    return event


@transaction.atomic
def event_cancel(*, event: Event, actor=None, reason: str = "") -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Event.Status.CANCELLED:
        return event
    event.status = Event.Status.CANCELLED
    event.save(update_fields=["status", "updated_at"])
    guests = Contact.objects.filter(rsvps__event=event, rsvps__response__in=[R.YES, R.MAYBE])
    for contact in guests:
        notice_create(
            contact=contact,
            kind="event",
            title=f"Cancelled: {event.title}",
            body=reason or "This event will not take place. Sorry for the change of plans.",
            url=reverse("programs:hub-event", args=[event.pk]),
            dedupe_key=f"event:{event.pk}:cancelled:{contact.pk}",
        )
    return event


# --- who may take part ---------------------------------------------------------------------


def event_access_allowed(*, event: Event, contact: Contact) -> bool:
    """Program members, invitees, and anyone for events open to all."""
    if event.is_open_to_all:
        return True
    if Invitation.objects.filter(event=event, contact=contact).exists():
        return True
    if (
        event.program_id
        and Membership.objects.filter(
            program_id=event.program_id, contact=contact, status=Membership.Status.ACTIVE
        ).exists()
    ):
        return True
    return Rsvp.objects.filter(event=event, contact=contact).exists()


# --- invitations ---------------------------------------------------------------------------


@dataclass
class InviteResult:
    invited: list[Contact] = field(default_factory=list)
    already: list[Contact] = field(default_factory=list)
    blocked: list[tuple[Contact, str]] = field(default_factory=list)


def _hub_event_url(event: Event) -> str:
    return settings.OVATION_BASE_URL + reverse("programs:hub-event", args=[event.pk])


def invitation_text(event: Event, contact: Contact) -> str:
    t = event_times(event.starts_at, event.ends_at, event.timezone, contact.timezone or None)
    where = event.venue or ("Online" if event.virtual_url else "")
    if event.address:
        where = f"{where}, {event.address}" if where else event.address
    when = f"{t.day}, {t.start}–{t.end} ({t.zone})"
    if not t.same_zone:
        when += f" — {t.event_start} {t.event_zone}"
    lines = [
        f"Hi {contact.first_name or 'there'},",
        "",
        f"We'd love you to join us: {event.title}.",
        "",
        f"When: {when}",
    ]
    if where:
        lines.append(f"Where: {where}")
    if event.program_id:
        lines.append(f"Program: {event.program.name}")
    url = _hub_event_url(event)
    lines += [
        "",
        f"Please let us know if you can come (yes / maybe / no): {url}",
        f"Add it to your calendar: {url}calendar.ics",
        "",
        "The Acme team",
    ]
    return "\n".join(lines)


def event_invite(*, event: Event, contacts: list[Contact], actor=None) -> InviteResult:
    """Invite contacts, each one an ask recorded against the shared budget (channel
    "program"). Contacts over budget or in a quiet period are skipped with the reason; the
    rest are invited and emailed. Each invitation commits on its own."""
    result = InviteResult()
    if event.status == Event.Status.CANCELLED:
        raise Conflict("the event is cancelled", field="event")
    if event.has_started:
        raise Conflict("the event has already started", field="event")
    invited_ids = set(
        Invitation.objects.filter(event=event, contact__in=contacts).values_list(
            "contact_id", flat=True
        )
    )
    for contact in contacts:
        if contact.pk in invited_ids:
            result.already.append(contact)
            continue
        if not contact.is_active:
            result.blocked.append((contact, "the contact is inactive"))
            continue
        try:
            with transaction.atomic():
                ask = ask_record(
                    contact=contact,
                    activity_type="program",
                    channel="program",
                    source_type="event",
                    source_id=event.pk,
                    actor=actor,
                    note=f"Invitation: {event.title}",
                )
                Invitation.objects.create(
                    event=event, contact=contact, ask_id=ask.pk, invited_by=actor
                )
                notice_create(
                    contact=contact,
                    kind="event",
                    title=f"You're invited: {event.title}",
                    body="Tell us if you can come.",
                    url=reverse("programs:hub-event", args=[event.pk]),
                    dedupe_key=f"event:{event.pk}:invited:{contact.pk}",
                )
                message_send(
                    contact=contact,
                    subject=f"You're invited: {event.title}",
                    body=invitation_text(event, contact),
                    dedupe_key=f"event:{event.pk}:invite:{contact.pk}",
                    event_type="event.invited",
                    attachments=[
                        (
                            f"{slugify(event.title) or 'event'}.ics",
                            event_ics(event),
                            "text/calendar",
                        )
                    ],
                )
        except BudgetExceeded as exc:
            result.blocked.append((contact, exc.message))
        except IntegrityError:
            result.already.append(contact)
        else:
            result.invited.append(contact)
    return result


def invite_candidates(*, event: Event, limit: int = 40) -> list[dict]:
    """Ranked eligible advocates for an event with their budget decision: program members
    first, then champions, advocates and promoters, those with a hub login, past attendees.
    Each row: contact, score, why (list of words), decision (BudgetDecision), invited."""
    from django.db.models import Count, Q

    stage_weight = {"champion": 40, "advocate": 30, "promoter": 15, "customer": 0}
    member_ids = set()
    if event.program_id:
        member_ids = set(
            Membership.objects.filter(
                program_id=event.program_id, status=Membership.Status.ACTIVE
            ).values_list("contact_id", flat=True)
        )
    invited = set(Invitation.objects.filter(event=event).values_list("contact_id", flat=True))
    rsvped = set(Rsvp.objects.filter(event=event).values_list("contact_id", flat=True))
    base = (
        Contact.objects.filter(is_active=True)
        .filter(Q(pk__in=member_ids) | Q(stage__in=["champion", "advocate", "promoter"]))
        .exclude(pk__in=invited | rsvped)
        .select_related("account", "account__region")
        .annotate(
            attended=Count("rsvps", filter=Q(rsvps__attended=True), distinct=True),
        )
    )
    program = event.program
    rows = []
    for contact in base[:2000]:
        score, why = stage_weight.get(contact.stage, 0), [contact.get_stage_display()]
        if contact.pk in member_ids:
            score += 60
            why.insert(0, f"member of {program.name}")
        if (
            program
            and program.region_id
            and contact.account
            and (contact.account.region_id == program.region_id)
        ):
            score += 10
            why.append(f"in {program.region}")
        if contact.user_id:
            score += 5
            why.append("uses the hub")
        if contact.attended:
            score += min(contact.attended, 5) * 3
            why.append(f"attended {contact.attended} event{'s' if contact.attended > 1 else ''}")
        rows.append({"contact": contact, "score": score, "why": why})
    rows.sort(key=lambda r: (-r["score"], r["contact"].last_name, r["contact"].pk))
    rows = rows[:limit]
    for row in rows:
        row["decision"] = ask_budget_check(contact=row["contact"], activity_type="program")
    return rows


# --- RSVPs ---------------------------------------------------------------------------------


def _confirmed_count(event: Event) -> int:
    return Rsvp.objects.filter(event=event, response=R.YES, is_waitlisted=False).count()


def _has_seat(event: Event) -> bool:
    return event.capacity is None or _confirmed_count(event) < event.capacity


def rsvp_set(*, event: Event, contact: Contact, response: str, check_access: bool = True) -> Rsvp:
    """Answer yes / maybe / no. A "yes" over capacity joins the waitlist; giving up a
    confirmed seat promotes the first waitlisted "yes"."""
    if response not in R.values:
        raise ServiceError(f"unknown response {response!r}", field="response")
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.status == Event.Status.CANCELLED:
            raise Conflict("this event was cancelled", field="response")
        if event.has_started:
            raise Conflict("this event has already started", field="response")
        if check_access and not event_access_allowed(event=event, contact=contact):
            raise NotFound("event not found", field="event")
        now = timezone.now()
        rsvp = Rsvp.objects.filter(event=event, contact=contact).first()
        was_confirmed = rsvp is not None and rsvp.is_confirmed
        if rsvp is None:
            rsvp = Rsvp(event=event, contact=contact, response=response, responded_at=now)
        elif rsvp.response == response:
            return rsvp
        rsvp.response = response
        rsvp.responded_at = now
        if response == R.YES:
            if not was_confirmed and not _has_seat(event):
                rsvp.is_waitlisted = True
                rsvp.waitlisted_at = now
            else:
                rsvp.is_waitlisted = False
                rsvp.waitlisted_at = None
        else:
            rsvp.is_waitlisted = False
            rsvp.waitlisted_at = None
        rsvp.save()
        if was_confirmed and response != R.YES:
            rsvp_waitlist_promote(event=event)
        invitation = Invitation.objects.filter(event=event, contact=contact).first()
        if invitation and invitation.ask_id:
            ask = Ask.objects.filter(pk=invitation.ask_id).first()
            if ask is not None and response != R.MAYBE:
                ask_respond(
                    ask=ask,
                    status=Ask.Status.ACCEPTED if response == R.YES else Ask.Status.DECLINED,
                )
    return rsvp


def rsvp_waitlist_promote(*, event: Event) -> list[Rsvp]:
    """Seat waitlisted "yes" answers in order while seats are free (event locked by caller)."""
    promoted = []
    while _has_seat(event):
        nxt = (
            Rsvp.objects.select_related("contact")
            .filter(event=event, response=R.YES, is_waitlisted=True)
            .order_by("waitlisted_at", "id")
            .first()
        )
        if nxt is None:
            break
        nxt.is_waitlisted = False
        nxt.waitlisted_at = None
        nxt.save(update_fields=["is_waitlisted", "waitlisted_at"])
        notice_create(
            contact=nxt.contact,
            kind="event",
            title=f"A seat opened up: you're confirmed for {event.title}",
            url=reverse("programs:hub-event", args=[event.pk]),
            dedupe_key=f"event:{event.pk}:promoted:{nxt.contact_id}:{nxt.responded_at.timestamp():.0f}",
        )
        message_send(
            contact=nxt.contact,
            subject=f"You're confirmed: {event.title}",
            body=(
                f"Hi {nxt.contact.first_name or 'there'},\n\nA seat opened up and it's yours: "
                f"{event.title}.\n\nDetails and calendar file: {_hub_event_url(event)}\n\n"
                "The Acme team"
            ),
            dedupe_key=f"event:{event.pk}:promoted:{nxt.contact_id}:{nxt.responded_at.timestamp():.0f}",
            event_type="event.rsvp",
        )
        promoted.append(nxt)
    return promoted


# --- reminders -----------------------------------------------------------------------------


def event_reminders_send(*, event_id: int) -> int:
    """Remind confirmed guests of one event (each once). Returns the number queued."""
    event = Event.objects.select_related("program").get(pk=event_id)
    if event.status == Event.Status.CANCELLED or event.has_started:
        return 0
    sent = 0
    guests = Rsvp.objects.filter(event=event, response=R.YES, is_waitlisted=False).select_related(
        "contact"
    )
    for rsvp in guests:
        contact = rsvp.contact
        t = event_times(event.starts_at, event.ends_at, event.timezone, contact.timezone or None)
        where = event.virtual_url or ", ".join(p for p in (event.venue, event.address) if p)
        message_send(
            contact=contact,
            subject=f"Reminder: {event.title}, {t.day} at {t.start}",
            body=(
                f"Hi {contact.first_name or 'there'},\n\nSee you soon at {event.title}: "
                f"{t.day}, {t.start}–{t.end} ({t.zone}).\n"
                + (f"Where: {where}\n" if where else "")
                + f"\nDetails: {_hub_event_url(event)}\n\nThe Acme team"
            ),
            dedupe_key=f"event:{event.pk}:reminder:{contact.pk}",
            event_type="event.reminder",
        )
        sent += 1
    Event.objects.filter(pk=event.pk).update(reminder_sent_at=timezone.now())
    return sent


def event_reminders_due(*, now: datetime | None = None, hours: int = 24) -> int:
    """Send reminders for events starting within `hours` that have not had one (for the
    scheduler tick / `manage.py programs reminders`). Safe to run any number of times."""
    now = now or timezone.now()
    due = Event.objects.filter(
        status=Event.Status.SCHEDULED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=hours),
    ).values_list("pk", flat=True)
    return sum(event_reminders_send(event_id=pk) for pk in list(due))


# --- attendance and minutes ----------------------------------------------------------------


def attendance_mark(
    *, event: Event, attended_ids: list[int], absent_ids: list[int] = (), actor=None
) -> dict:
    """Bulk attendance. Attending writes the `event.attended` activity and credits
    `attendance_points` through the ledger (key event:<id>:attended:<contact>), each once.
    Attendance already confirmed is final (its points were credited)."""
    if not event.has_started:
        raise Conflict("attendance can be marked once the event has started", field="event")
    if event.status == Event.Status.CANCELLED:
        raise Conflict("the event was cancelled", field="event")
    overlap = set(attended_ids) & set(absent_ids)
    if overlap:
        raise ServiceError("a guest cannot be both present and absent", field="attended")
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=[*attended_ids, *absent_ids])}
    missing = [i for i in [*attended_ids, *absent_ids] if i not in contacts]
    if missing:
        raise ServiceError(f"unknown contact id {missing[0]}", field="attended")
    now = timezone.now()
    counts = {"attended": 0, "absent": 0, "unchanged": 0}
    with transaction.atomic():
        for cid in attended_ids:
            contact = contacts[cid]
            rsvp, _ = Rsvp.objects.get_or_create(
                event=event, contact=contact, defaults={"response": R.YES, "responded_at": now}
            )
            if rsvp.attended:
                counts["unchanged"] += 1
                continue
            rsvp.attended = True
            rsvp.attendance_marked_at = now
            rsvp.attendance_marked_by = actor
            rsvp.save(update_fields=["attended", "attendance_marked_at", "attendance_marked_by"])
            key = f"event:{event.pk}:attended:{contact.pk}"
            activity_record(
                kind="event.attended",
                contact=contact,
                occurred_at=event.starts_at,
                points=event.attendance_points,
                source="programs",
                actor=actor,
                external_id=key,
                data={
                    "event_id": event.pk,
                    "event_kind": event.kind,
                    "program_id": event.program_id,
                    "summary": event.title,
                },
            )
            if event.attendance_points:
                ledger_credit(
                    contact=contact,
                    points=event.attendance_points,
                    idempotency_key=key,
                    source_type="event",
                    source_id=event.pk,
                    reason=f"Attended {event.title}",
                    actor=actor,
                )
            counts["attended"] += 1
        for cid in absent_ids:
            updated = Rsvp.objects.filter(event=event, contact_id=cid).exclude(attended=True)
            n = updated.update(attended=False, attendance_marked_at=now, attendance_marked_by=actor)
            counts["absent" if n else "unchanged"] += 1
    return counts


def minutes_publish(*, event: Event, minutes: str, actor=None, publish: bool = True) -> Event:
    """Save the notes/minutes; publishing shares them with members and guests (a notice each,
    once)."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        event.minutes = minutes or ""
        event.minutes_html = render_markdown(event.minutes)
        first_publish = publish and event.minutes_published_at is None and event.minutes.strip()
        if publish and event.minutes.strip():
            event.minutes_published_at = event.minutes_published_at or timezone.now()
        elif not publish:
            event.minutes_published_at = None
        event.save(update_fields=["minutes", "minutes_html", "minutes_published_at", "updated_at"])
        if first_publish:
            for contact in event_audience(event):
                notice_create(
                    contact=contact,
                    kind="event",
                    title=f"Minutes are up: {event.title}",
                    body="What we discussed and what happens next.",
                    url=reverse("programs:hub-event", args=[event.pk]) + "#minutes",
                    dedupe_key=f"event:{event.pk}:minutes:{contact.pk}",
                )
    return event


def event_audience(event: Event):
    """Program members plus everyone who was invited or answered."""
    from django.db.models import Q

    cond = Q(invitations__event=event) | Q(rsvps__event=event)
    if event.program_id:
        cond |= Q(
            memberships__program_id=event.program_id,
            memberships__status=Membership.Status.ACTIVE,
        )
    return Contact.objects.filter(cond, is_active=True).distinct()
