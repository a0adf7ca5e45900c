"""Events: time zones per viewer, the calendar file, invitations within the shared ask
budget, RSVPs with a waitlist, attendance (activities and points once), reminders, minutes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from ovation.activity.models import Activity
from ovation.automations.models import EmailMessage
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get
from ovation.programs import services
from ovation.programs.ics import event_ics, event_uid
from ovation.programs.models import Event, Invitation, Membership, Notice, Rsvp
from ovation.programs.times import event_times
from ovation.references.budget import Ask, do_not_contact_set

from .factories import EventFactory, ProgramFactory, advocate, staff

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


def at_brussels(y, m, d, h, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("start", "viewer", "line"),
    [
        # Winter: Brussels UTC+1, New York UTC-5.
        (
            at_brussels(2025, 1, 14, 14),
            "America/New_York",
            "Tue 14 Jan 2025 · 14:00 Brussels · 08:00 your time",
        ),
        # Summer: both on daylight time, still six hours apart.
        (
            at_brussels(2025, 7, 15, 14),
            "America/New_York",
            "Tue 15 Jul 2025 · 14:00 Brussels · 08:00 your time",
        ),
        # 20 March: the US is already on summer time, Europe not yet: five hours apart.
        (
            at_brussels(2025, 3, 20, 14),
            "America/New_York",
            "Thu 20 Mar 2025 · 14:00 Brussels · 09:00 your time",
        ),
        # A viewer for whom it is already the next day.
        (
            at_brussels(2025, 1, 14, 20),
            "Asia/Tokyo",
            "Tue 14 Jan 2025 · 20:00 Brussels · Wed 15 Jan 2025, 04:00 your time",
        ),
        # Same zone (or none): one time only.
        (at_brussels(2025, 1, 14, 14), "Europe/Brussels", "Tue 14 Jan 2025 · 14:00–15:30 Brussels"),
        (at_brussels(2025, 1, 14, 14), None, "Tue 14 Jan 2025 · 14:00–15:30 Brussels"),
        (at_brussels(2025, 1, 14, 14), "Not/AZone", "Tue 14 Jan 2025 · 14:00–15:30 Brussels"),
    ],
)
def test_event_times_for_each_viewer(start, viewer, line):
    t = event_times(
        start.astimezone(UTC),
        (start + timedelta(minutes=90)).astimezone(UTC),
        "Europe/Brussels",
        viewer,
    )
    assert t.line == line


def test_hub_event_page_shows_the_contacts_own_time(client):
    contact = advocate(timezone="America/New_York")
    event = EventFactory(
        title="CAB winter session",
        starts_at=at_brussels(2030, 1, 15, 14),
        ends_at=at_brussels(2030, 1, 15, 16),
        is_open_to_all=True,
    )
    client.force_login(contact.user)
    html = client.get(f"/hub/programs/events/{event.pk}/").content.decode()
    assert "Tue 15 Jan 2030 · 14:00 Brussels · 08:00 your time" in html
    assert "Your time (New York): Tue 15 Jan 2030, 08:00–10:00" in html


def test_staff_see_event_zone_and_their_own(client):
    manager = staff()
    event = EventFactory(
        starts_at=at_brussels(2030, 1, 15, 14), ends_at=at_brussels(2030, 1, 15, 16)
    )
    client.force_login(manager)
    client.cookies["ovation_tz"] = "America/Los_Angeles"
    html = client.get(f"/programs/events/{event.pk}/").content.decode()
    assert "<strong>14:00–16:00 Brussels</strong>" in html
    assert "05:00–07:00 your time (Los Angeles)" in html


def test_ics_has_uid_tzid_and_timezone_definition():
    event = EventFactory(
        title="CAB spring session",
        starts_at=at_brussels(2025, 3, 20, 14),
        ends_at=at_brussels(2025, 3, 20, 16),
        venue="Acme HQ",
        address="Rue de la Loi 1, Brussels",
        agenda="1. Roadmap\n2. Dinner",
    )
    raw = event_ics(event, url="https://acme.example/hub/programs/events/1/")
    text = raw.decode()
    assert "DTSTART;TZID=Europe/Brussels:20250320T140000" in text
    assert "DTEND;TZID=Europe/Brussels:20250320T160000" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Brussels" in text
    cal = Calendar.from_ical(raw)
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["UID"]) == event_uid(event) == f"ovation-event-{event.pk}@127.0.0.1"
    assert vevent.decoded("DTSTART").astimezone(UTC) == datetime(2025, 3, 20, 13, 0, tzinfo=UTC)
    assert str(vevent["SUMMARY"]) == "CAB spring session"
    assert str(vevent["LOCATION"]) == "Acme HQ, Rue de la Loi 1, Brussels"
    assert str(cal["METHOD"]) == "PUBLISH"


def test_ics_for_a_utc_event_is_written_in_utc():
    event = EventFactory(
        timezone="UTC",
        starts_at=datetime(2025, 1, 14, 13, tzinfo=UTC),
        ends_at=datetime(2025, 1, 14, 14, tzinfo=UTC),
    )
    text = event_ics(event).decode()
    assert "DTSTART:20250114T130000Z" in text
    assert "VTIMEZONE" not in text


def test_ics_download_in_the_hub_only_for_those_allowed(client):
    program = ProgramFactory()
    member, outsider = advocate(), advocate()
    services.membership_approve(
        membership=services.membership_apply(program=program, contact=member), actor=staff()
    )
    event = EventFactory(program=program, title="Members dinner")
    client.force_login(member.user)
    response = client.get(f"/hub/programs/events/{event.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="members-dinner.ics"'
    assert b"SUMMARY:Members dinner" in response.content
    client.force_login(outsider.user)
    assert client.get(f"/hub/programs/events/{event.pk}/calendar.ics").status_code == 404
    assert client.get(f"/hub/programs/events/{event.pk}/").status_code == 404


def test_invitation_draws_from_the_ask_budget_and_refuses_when_over():
    manager = staff()
    first = EventFactory(title="Webinar: forecasting")
    second = EventFactory(title="Dinner in Paris")
    contact, quiet = advocate(), advocate()
    do_not_contact_set(
        contact=quiet, until=date.today() + timedelta(days=30), reason="renewal talks"
    )

    result = services.event_invite(event=first, contacts=[contact, quiet], actor=manager)

    assert [c.pk for c in result.invited] == [contact.pk]
    assert result.blocked == [
        (
            quiet,
            "do not contact until "
            + (date.today() + timedelta(days=30)).strftime("%Y-%m-%d")
            + " (renewal talks)",
        )
    ]
    ask = Ask.objects.get(contact=contact)
    assert (ask.channel, ask.activity_type, ask.source_type, ask.source_id) == (
        "program",
        "program",
        "event",
        str(first.pk),
    )
    assert Invitation.objects.get(event=first, contact=contact).ask_id == ask.pk
    mail = EmailMessage.objects.get(dedupe_key=f"event:{first.pk}:invite:{contact.pk}")
    assert mail.context["subject"] == "You're invited: Webinar: forecasting"
    assert f"/hub/programs/events/{first.pk}/calendar.ics" in mail.context["body"]

    # A second invitation days later is over the fatigue budget (14 days between asks).
    again = services.event_invite(event=second, contacts=[contact], actor=manager)
    assert again.invited == []
    assert again.blocked[0][0] == contact
    assert "days" in again.blocked[0][1]
    assert not Invitation.objects.filter(event=second).exists()
    assert Ask.objects.filter(contact=contact).count() == 1
    assert not Invitation.objects.filter(contact=quiet).exists()

    # Inviting again to the same event is a no-op.
    assert services.event_invite(event=first, contacts=[contact]).already == [contact]


def test_invite_candidates_rank_members_first_and_show_blocked():
    program = ProgramFactory(name="CAB")
    member = advocate(stage="promoter")
    services.membership_approve(
        membership=services.membership_apply(program=program, contact=member), actor=staff()
    )
    champion = advocate(stage="champion")
    blocked = advocate(stage="champion")
    do_not_contact_set(contact=blocked, until=date.today() + timedelta(days=5))
    event = EventFactory(program=program)
    rows = services.invite_candidates(event=event)
    by_id = {r["contact"].pk: r for r in rows}
    assert rows[0]["contact"] == member
    assert by_id[member.pk]["why"][0] == "member of CAB"
    assert by_id[champion.pk]["decision"].allowed
    assert by_id[blocked.pk]["decision"].rule == "quiet.do_not_contact"


def test_rsvp_waitlist_and_promotion_in_order():
    event = EventFactory(capacity=2, is_open_to_all=True)
    a, b, c, d = (advocate() for _ in range(4))
    states = [services.rsvp_set(event=event, contact=x, response="yes") for x in (a, b, c, d)]
    assert [r.is_waitlisted for r in states] == [False, False, True, True]
    # Maybe and no do not take seats.
    services.rsvp_set(event=event, contact=advocate(), response="maybe")
    # a gives up the seat: c (first waitlisted) gets it, d still waits.
    services.rsvp_set(event=event, contact=a, response="no")
    assert Rsvp.objects.get(event=event, contact=c).is_confirmed
    assert Rsvp.objects.get(event=event, contact=d).is_waitlisted
    assert Notice.objects.filter(contact=c, title__startswith="A seat opened up").count() == 1
    # Saying yes again does not jump the queue.
    again = services.rsvp_set(event=event, contact=a, response="yes")
    assert again.is_waitlisted
    assert Rsvp.objects.filter(event=event, response="yes", is_waitlisted=False).count() == 2


def test_rsvp_refused_for_outsiders_past_and_cancelled_events():
    program = ProgramFactory()
    event = EventFactory(program=program)
    with pytest.raises(NotFound):
        services.rsvp_set(event=event, contact=advocate(), response="yes")
    assert not Rsvp.objects.exists()
    past = EventFactory(is_open_to_all=True, starts_at=timezone.now() - timedelta(days=1))
    with pytest.raises(Conflict):
        services.rsvp_set(event=past, contact=advocate(), response="yes")
    with pytest.raises(ServiceError):
        services.rsvp_set(
            event=EventFactory(is_open_to_all=True), contact=advocate(), response="sure"
        )


def test_invitee_answer_responds_to_the_ask():
    event = EventFactory()
    contact = advocate()
    services.event_invite(event=event, contacts=[contact])
    services.rsvp_set(event=event, contact=contact, response="yes")
    assert Ask.objects.get(contact=contact).status == "accepted"


def test_attendance_writes_activity_and_points_once():
    manager = staff()
    event = EventFactory(
        is_open_to_all=True,
        attendance_points=75,
        starts_at=timezone.now() + timedelta(hours=1),
    )
    here, absent, walk_in = advocate(), advocate(), advocate()
    services.rsvp_set(event=event, contact=here, response="yes")
    services.rsvp_set(event=event, contact=absent, response="yes")
    with pytest.raises(Conflict):
        services.attendance_mark(event=event, attended_ids=[here.pk])
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    event.refresh_from_db()

    counts = services.attendance_mark(
        event=event, attended_ids=[here.pk, walk_in.pk], absent_ids=[absent.pk], actor=manager
    )
    again = services.attendance_mark(event=event, attended_ids=[here.pk], actor=manager)

    assert counts == {"attended": 2, "absent": 1, "unchanged": 0}
    assert again == {"attended": 0, "absent": 0, "unchanged": 1}
    assert balance_get(contact=here).spendable == 75
    assert balance_get(contact=absent).spendable == 0
    entry = LedgerEntry.objects.get(contact=here)
    assert entry.idempotency_key == f"event:{event.pk}:attended:{here.pk}"
    assert Activity.objects.filter(kind="event.attended").count() == 2
    act = Activity.objects.get(kind="event.attended", contact=walk_in)
    assert (act.points, act.external_id) == (75, f"event:{event.pk}:attended:{walk_in.pk}")
    assert Rsvp.objects.get(event=event, contact=absent).attended is False
    # Present and absent at once is refused, nothing changes.
    with pytest.raises(ServiceError):
        services.attendance_mark(event=event, attended_ids=[absent.pk], absent_ids=[absent.pk])
    assert Rsvp.objects.get(event=event, contact=absent).attended is False


def test_reminders_go_to_confirmed_guests_once():
    soon = EventFactory(is_open_to_all=True, starts_at=timezone.now() + timedelta(hours=20))
    later = EventFactory(is_open_to_all=True, starts_at=timezone.now() + timedelta(days=5))
    going, maybe = advocate(timezone="America/New_York"), advocate()
    services.rsvp_set(event=soon, contact=going, response="yes")
    services.rsvp_set(event=soon, contact=maybe, response="maybe")
    services.rsvp_set(event=later, contact=going, response="yes")
    assert services.event_reminders_due() == 1
    assert services.event_reminders_due() == 0
    reminders = EmailMessage.objects.filter(event_type="event.reminder")
    assert [m.contact_id for m in reminders] == [going.pk]
    assert "(New York)" in reminders[0].context["body"]


def test_minutes_shared_with_members_once():
    program = ProgramFactory()
    member = advocate()
    services.membership_approve(
        membership=services.membership_apply(program=program, contact=member), actor=staff()
    )
    event = EventFactory(
        program=program,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=1),
    )
    services.minutes_publish(
        event=event, minutes="## Decisions\n- <script>x</script>Ship PDF export", publish=False
    )
    assert not Notice.objects.filter(title__startswith="Minutes").exists()
    services.minutes_publish(
        event=event, minutes="## Decisions\n- <script>x</script>Ship PDF export"
    )
    services.minutes_publish(event=event, minutes="## Decisions\n- Ship PDF export (edited)")
    event.refresh_from_db()
    assert "<script>" not in event.minutes_html and "<h2>Decisions</h2>" in event.minutes_html
    assert Notice.objects.filter(contact=member, title__startswith="Minutes are up").count() == 1


def test_event_validation_names_fields():
    now = timezone.now()
    with pytest.raises(ServiceError) as exc:
        services.event_create(
            title="X", starts_at=now, ends_at=now - timedelta(hours=1), timezone="Europe/Brussels"
        )
    assert exc.value.field == "ends_at"
    with pytest.raises(ServiceError) as exc:
        services.event_create(
            title="X", starts_at=now, ends_at=now + timedelta(hours=1), timezone="Mars/Olympus"
        )
    assert exc.value.field == "timezone"
    assert not Event.objects.exists()
    assert Membership.objects.count() == 0


def test_invitation_email_carries_the_calendar_file(mailoutbox, django_capture_on_commit_callbacks):
    event = EventFactory(title="CAB spring session")
    contact = advocate()

    with django_capture_on_commit_callbacks(execute=True):
        services.event_invite(event=event, contacts=[contact], actor=staff())

    [mail] = [m for m in mailoutbox if m.to == [contact.email]]
    [(filename, content, mimetype)] = mail.attachments
    assert (filename, mimetype) == ("cab-spring-session.ics", "text/calendar")
    calendar = Calendar.from_ical(content)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "CAB spring session"
    assert str(vevent["UID"]) == event_uid(event)
