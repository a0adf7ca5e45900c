"""Pages: hub (programs, events, ideas, notices) and staff (programs, members, events,
ideas), with permissions and query budgets on the lists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.programs import services
from ovation.programs.models import Idea, Membership, Rsvp
from ovation.users.models import User

from .factories import EventFactory, ProgramFactory, advocate, staff

pytestmark = pytest.mark.django_db
S = Membership.Status


def member_of(program, contact):
    return services.membership_approve(
        membership=services.membership_apply(program=program, contact=contact), actor=staff()
    )


def test_hub_pages_need_an_advocate(client):
    assert client.get("/hub/programs/").status_code == 302
    client.force_login(staff())
    assert client.get("/hub/ideas/").status_code == 403


def test_hub_program_list_shows_mine_and_open_ones_with_eligibility(
    client, django_assert_max_num_queries
):
    contact = advocate(stage="promoter")
    mine = ProgramFactory(name="Beta program", kind="beta")
    member_of(mine, contact)
    ProgramFactory(name="Champions club", kind="champions", eligible_stages=["champion"])
    for i in range(8):
        ProgramFactory(name=f"User group {i}", kind="user_group")
        EventFactory(program=mine, title=f"Beta sync {i}")
    client.force_login(contact.user)
    with django_assert_max_num_queries(20):
        html = client.get("/hub/programs/").content.decode()
    assert "Beta program" in html
    assert "Not yet: it is open to champions; you are a promoter." in html
    assert "Beta sync 0" in html


def test_advocate_cannot_see_another_programs_members(client):
    cab = ProgramFactory(name="CAB")
    outsider, insider = advocate(), advocate(first_name="Insider", last_name="Person")
    member_of(cab, insider)
    client.force_login(outsider.user)
    html = client.get(f"/hub/programs/{cab.pk}/").content.decode()
    assert "Insider Person" not in html
    client.force_login(insider.user)
    assert "Insider Person" in client.get(f"/hub/programs/{cab.pk}/").content.decode()


def test_apply_and_leave_from_the_hub_act_only_for_oneself(client):
    program = ProgramFactory(name="Beta", capacity=5)
    contact, other = advocate(), advocate()
    client.force_login(contact.user)
    client.post(f"/hub/programs/{program.pk}/apply/", {"note": "Love betas"})
    m = Membership.objects.get(contact=contact)
    assert (m.status, m.note) == (S.APPLIED, "Love betas")
    # The other advocate's membership cannot be touched through this login.
    member_of(ProgramFactory(name="Other"), other)
    response = client.post(
        f"/hub/programs/{Membership.objects.get(contact=other).program_id}/leave/"
    )
    assert response.status_code == 404
    assert Membership.objects.get(contact=other).status == S.ACTIVE


def test_rsvp_from_the_hub(client):
    program = ProgramFactory()
    contact = advocate()
    member_of(program, contact)
    event = EventFactory(program=program, capacity=10)
    client.force_login(contact.user)
    client.post(f"/hub/programs/events/{event.pk}/rsvp/", {"response": "yes"})
    assert Rsvp.objects.get(event=event, contact=contact).is_confirmed
    html = client.get(f"/hub/programs/events/{event.pk}/").content.decode()
    assert "You&#x27;re going." in html or "You're going." in html


def test_hub_ideas_submit_vote_and_roadmap(client, django_assert_max_num_queries):
    contact, other = advocate(), advocate()
    for i in range(15):
        idea = services.idea_create(contact=other, title=f"Idea number {i}")
        if i % 3 == 0:
            services.idea_status_set(idea=idea, status="planned")
    client.force_login(contact.user)
    response = client.post(
        "/hub/ideas/", {"title": "Export to PDF", "description": "For the board"}
    )
    idea = Idea.objects.get(title="Export to PDF")
    assert response.status_code == 302 and response["Location"] == f"/hub/ideas/{idea.pk}/"
    target = Idea.objects.get(title="Idea number 1")
    client.post(f"/hub/ideas/{target.pk}/vote/", {"vote": "1"})
    client.post(f"/hub/ideas/{target.pk}/vote/", {"vote": "1"})
    target.refresh_from_db()
    assert target.vote_count == 2
    with django_assert_max_num_queries(15):
        client.get("/hub/ideas/")
    with django_assert_max_num_queries(15):
        html = client.get("/hub/ideas/?view=roadmap").content.decode()
    assert 'data-column="planned"' in html and "Idea number 0" in html
    client.post(f"/hub/ideas/{target.pk}/", {"body": "Yes please"})
    assert target.comments.get().contact == contact


def test_hub_vote_via_htmx_returns_the_button(client):
    idea = services.idea_create(contact=advocate(), title="Keyboard shortcuts")
    contact = advocate()
    client.force_login(contact.user)
    html = client.post(
        f"/hub/ideas/{idea.pk}/vote/", {"vote": "1"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'aria-pressed="true"' in html and '<span class="n" data-testid="votes">2</span>' in html


def test_csm_can_nominate_but_not_approve(client):
    csm = staff(User.Role.CSM)
    program = ProgramFactory(name="CAB")
    customer = advocate(email="cfo@customer.test")
    client.force_login(csm)
    assert client.get(f"/programs/{program.pk}/").status_code == 200
    client.post(
        f"/programs/{program.pk}/nominate/", {"email": "CFO@customer.test", "note": "Strong voice"}
    )
    m = Membership.objects.get(contact=customer)
    assert (m.status, m.nominated_by) == (S.NOMINATED, csm)
    response = client.post(f"/programs/memberships/{m.pk}/approve/")
    assert response.status_code == 403
    m.refresh_from_db()
    assert m.status == S.NOMINATED
    assert client.get("/programs/new/").status_code == 403
    assert client.get("/programs/ideas/").status_code == 403


def test_sales_cannot_use_staff_program_pages(client):
    client.force_login(staff(User.Role.SALES))
    assert client.get("/programs/").status_code == 403


def test_manager_approves_from_the_program_page(client):
    manager = staff()
    program = ProgramFactory(capacity=1)
    first, second = advocate(), advocate()
    m1 = services.membership_apply(program=program, contact=first)
    m2 = services.membership_apply(program=program, contact=second)
    client.force_login(manager)
    client.post(f"/programs/memberships/{m1.pk}/approve/", {"role": "chair"})
    client.post(f"/programs/memberships/{m2.pk}/approve/", {"role": "member"})
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (m1.status, m1.role, m2.status) == (S.ACTIVE, "chair", S.WAITLISTED)


def test_staff_list_pages_query_budget(client, django_assert_max_num_queries):
    manager = staff()
    for i in range(6):
        program = ProgramFactory(name=f"P{i}", capacity=3)
        for _ in range(3):
            member_of(program, advocate())
        event = EventFactory(program=program, title=f"E{i}")
        services.rsvp_set(event=event, contact=program.memberships.first().contact, response="yes")
        services.idea_create(contact=advocate(), title=f"Idea for P{i}")
    client.force_login(manager)
    for url in ["/programs/", "/programs/events/", "/programs/ideas/", f"/programs/{program.pk}/"]:
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200


def test_staff_event_pages_render_and_attendance_posts(client):
    manager = staff()
    program = ProgramFactory(name="CAB")
    contact = advocate()
    member_of(program, contact)
    event = EventFactory(program=program, title="CAB session", attendance_points=40)
    services.rsvp_set(event=event, contact=contact, response="yes")
    client.force_login(manager)
    html = client.get(f"/programs/events/{event.pk}/").content.decode()
    assert "Invite advocates" in html
    event.starts_at = timezone.now() - timedelta(hours=3)
    event.ends_at = timezone.now() - timedelta(hours=1)
    event.save()
    client.post(
        f"/programs/events/{event.pk}/attendance/",
        {"listed": [contact.pk], "attended": [contact.pk]},
    )
    assert Rsvp.objects.get(event=event, contact=contact).attended is True
    assert client.get(f"/programs/events/{event.pk}/questions/").status_code == 200
    response = client.post(
        f"/programs/events/{event.pk}/questions/",
        {"title": "Input", "prompt_1": "How useful?", "kind_1": "scale"},
    )
    assert response.status_code == 302
    assert event.question_set.questions.count() == 1


def test_staff_create_program_and_event_forms(client):
    client.force_login(staff())
    response = client.post(
        "/programs/new/",
        {
            "name": "EMEA user group",
            "kind": "user_group",
            "approval_mode": "auto",
            "is_active": "on",
            "is_accepting_applications": "on",
            "eligible_stages": ["advocate", "champion"],
            "capacity": "30",
        },
    )
    assert response.status_code == 302
    program_id = int(response["Location"].rstrip("/").split("/")[-1])
    response = client.post(
        "/programs/events/new/",
        {
            "title": "Meetup Brussels",
            "kind": "meetup",
            "program": program_id,
            "starts_local": "2031-01-14T14:00",
            "duration_minutes": "120",
            "timezone": "Europe/Brussels",
            "attendance_points": "50",
        },
    )
    assert response.status_code == 302
    from ovation.programs.models import Event

    event = Event.objects.get(title="Meetup Brussels")
    assert event.starts_at.isoformat() == "2031-01-14T13:00:00+00:00"
    bad = client.post(
        "/programs/events/new/",
        {
            "title": "X",
            "kind": "meetup",
            "starts_local": "2031-01-14T14:00",
            "duration_minutes": "60",
            "timezone": "Brussels",
            "attendance_points": "5",
        },
    )
    assert "Unknown time zone" in bad.content.decode()


def test_staff_idea_triage_ships_and_reports(client):
    manager = staff()
    idea = services.idea_create(contact=advocate(), title="PDF export for boards")
    client.force_login(manager)
    response = client.post(f"/programs/ideas/{idea.pk}/", {"status": "shipped", "reason": ""})
    assert "tell customers what shipped" in response.content.decode()
    idea.refresh_from_db()
    assert idea.status == "new"
    client.post(
        f"/programs/ideas/{idea.pk}/",
        {"status": "shipped", "reason": "Live in 4.2", "back": "/programs/ideas/"},
    )
    idea.refresh_from_db()
    assert (idea.status, idea.status_reason) == ("shipped", "Live in 4.2")
