"""The JSON API: same services as the pages, permissions, problem JSON naming the field."""

import pytest

from ovation.programs import services
from ovation.programs.models import Membership
from ovation.users.models import User

from .factories import EventFactory, ProgramFactory, advocate, staff

pytestmark = pytest.mark.django_db


def test_programs_members_and_decisions(client, django_assert_max_num_queries):
    manager = staff()
    program = ProgramFactory(name="CAB", capacity=1)
    a, b = advocate(), advocate()
    client.force_login(manager)
    created = client.post(
        "/api/v1/programs",
        {"name": "EMEA user group", "kind": "user_group", "eligible_stages": ["advocate"]},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["kind"] == "user_group"
    for c in (a, b):
        r = client.post(
            f"/api/v1/programs/{program.pk}/members",
            {"contact_id": c.pk},
            content_type="application/json",
        )
        assert r.status_code == 201 and r.json()["status"] == "nominated"
    ids = [m.pk for m in Membership.objects.filter(program=program).order_by("id")]
    r1 = client.post(
        f"/api/v1/programs/{program.pk}/members/{ids[0]}/decision",
        {"action": "approve", "role": "chair"},
        content_type="application/json",
    )
    r2 = client.post(
        f"/api/v1/programs/{program.pk}/members/{ids[1]}/decision",
        {"action": "approve"},
        content_type="application/json",
    )
    assert (r1.json()["status"], r1.json()["role"], r2.json()["status"]) == (
        "active",
        "chair",
        "waitlisted",
    )
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/programs").json()
    assert {p["name"]: p["active_count"] for p in body["items"]} == {"CAB": 1, "EMEA user group": 0}
    members = client.get(f"/api/v1/programs/{program.pk}/members?status=active").json()["items"]
    assert [m["contact_id"] for m in members] == [a.pk]
    bad = client.post(
        f"/api/v1/programs/{program.pk}/members/{ids[1]}/decision",
        {"action": "promote"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "action"


def test_csm_may_nominate_but_not_decide_over_the_api(client):
    csm = staff(User.Role.CSM)
    program = ProgramFactory()
    contact = advocate()
    client.force_login(csm)
    r = client.post(
        f"/api/v1/programs/{program.pk}/members",
        {"contact_id": contact.pk},
        content_type="application/json",
    )
    assert r.status_code == 201
    m = Membership.objects.get()
    r = client.post(
        f"/api/v1/programs/{program.pk}/members/{m.pk}/decision",
        {"action": "approve"},
        content_type="application/json",
    )
    assert r.status_code == 403
    m.refresh_from_db()
    assert m.status == "nominated"


def test_advocate_session_is_refused(client):
    client.force_login(advocate().user)
    assert client.get("/api/v1/programs").status_code in (401, 403)
    assert client.get("/api/v1/ideas").status_code in (401, 403)


def test_events_rsvps_and_validation(client):
    client.force_login(staff())
    r = client.post(
        "/api/v1/events",
        {
            "title": "Webinar",
            "kind": "webinar",
            "starts_at": "2031-01-14T13:00:00Z",
            "ends_at": "2031-01-14T14:00:00Z",
            "timezone": "Europe/Brussels",
            "capacity": 1,
            "is_open_to_all": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    event_id = r.json()["id"]
    bad = client.post(
        "/api/v1/events",
        {
            "title": "Webinar",
            "starts_at": "2031-01-14T13:00:00Z",
            "ends_at": "2031-01-14T14:00:00Z",
            "timezone": "Moon/Base",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "timezone"
    a, b = advocate(), advocate()
    for c in (a, b):
        client.post(
            f"/api/v1/events/{event_id}/rsvps",
            {"contact_id": c.pk, "response": "yes"},
            content_type="application/json",
        )
    rsvps = client.get(f"/api/v1/events/{event_id}/rsvps").json()["items"]
    assert [(x["contact_id"], x["is_waitlisted"]) for x in rsvps] == [(a.pk, False), (b.pk, True)]
    inv = client.post(
        f"/api/v1/events/{event_id}/invitations",
        {"contact_ids": [advocate().pk]},
        content_type="application/json",
    )
    assert len(inv.json()["invited"]) == 1
    assert client.get("/api/v1/events?upcoming=true").json()["items"][0]["yes_count"] == 1


def test_ideas_create_vote_and_ship(client):
    client.force_login(staff())
    author, voter = advocate(), advocate()
    r = client.post(
        "/api/v1/ideas",
        {"title": "PDF export", "contact_id": author.pk},
        content_type="application/json",
    )
    idea_id = r.json()["id"]
    assert r.status_code == 201 and r.json()["vote_count"] == 1
    v = client.post(
        f"/api/v1/ideas/{idea_id}/votes", {"contact_id": voter.pk}, content_type="application/json"
    ).json()
    v2 = client.post(
        f"/api/v1/ideas/{idea_id}/votes", {"contact_id": voter.pk}, content_type="application/json"
    ).json()
    assert (v["changed"], v2["changed"], v2["vote_count"]) == (True, False, 2)
    bad = client.post(
        f"/api/v1/ideas/{idea_id}/status", {"status": "shipped"}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "reason"
    ok = client.post(
        f"/api/v1/ideas/{idea_id}/status",
        {"status": "shipped", "reason": "Live"},
        content_type="application/json",
    )
    assert ok.json()["status"] == "shipped"
    assert [i["id"] for i in client.get("/api/v1/ideas?status=shipped").json()["items"]] == [
        idea_id
    ]
    assert client.get("/api/v1/ideas?status=nope").status_code == 422


def test_unknown_contact_names_the_field(client):
    client.force_login(staff())
    program = ProgramFactory()
    r = client.post(
        f"/api/v1/programs/{program.pk}/members",
        {"contact_id": 999999},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "contact_id"
    event = EventFactory()
    assert services.event_access_allowed(event=event, contact=advocate()) is False
