"""Pages: the hub "For you", the staff profile, campaign builder, calibration, settings."""

import re

import pytest
from django.urls import reverse

from ovation.hub.models import Challenge
from ovation.motivation import services
from ovation.motivation.models import AskType, Campaign, Prediction
from ovation.references.budget import Ask
from ovation.users.models import User

from .factories import AdvocateFactory, ChallengeFactory, StaffFactory, past_asks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _types():
    services.ask_types_ensure()


@pytest.fixture
def manager(client):
    user = StaffFactory(role=User.Role.MANAGER)
    client.force_login(user)
    return user


def _feedback_lover():
    c = AdvocateFactory()
    past_asks(c, kind="speaking", outcome="declined", n=2)
    past_asks(c, kind="feedback", outcome="accepted", n=3)
    services.profile_refresh(contact=c)
    return c


def test_for_you_lists_feedback_before_speaking_and_records_predictions(
    client, django_assert_max_num_queries
):
    c = _feedback_lover()
    ChallengeFactory(kind=Challenge.Kind.SPEAKING, title="Speak at Summit", points=300)
    ChallengeFactory(kind=Challenge.Kind.FEEDBACK, title="Rate the new reports", points=120)
    ChallengeFactory(kind=Challenge.Kind.FEEDBACK, title="Beta survey", points=80)
    for i in range(5):
        ChallengeFactory(kind=Challenge.Kind.QUIZ, title=f"Quiz {i}")
    client.force_login(c.user)
    with django_assert_max_num_queries(60):
        response = client.get(reverse("motivation:hub-for-you"))
    html = response.content.decode()
    assert response.status_code == 200
    titles = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', html)
    assert set(titles[:2]) == {"Rate the new reports", "Beta survey"}
    assert html.index("Rate the new reports") < html.index("Speak at Summit")
    assert "accepted 3 of 3 product feedback / survey asks" in html
    assert Prediction.objects.filter(contact=c, context="hub").count() == 3


def test_for_you_needs_an_advocate(client):
    response = client.get(reverse("motivation:hub-for-you"))
    assert response.status_code == 302 and response["Location"].startswith("/hub/login/")


def test_not_for_me_records_a_decline_and_hides_the_ask(client):
    c = AdvocateFactory()
    ch = ChallengeFactory(kind=Challenge.Kind.QUIZ, title="Puzzle")
    client.force_login(c.user)
    client.get(reverse("motivation:hub-for-you"))
    key = f"challenge.quiz:challenge:{ch.pk}"
    response = client.post(reverse("motivation:hub-not-for-me"), {"key": key}, follow=True)
    assert "suggest “Puzzle” again for a while" in response.content.decode()
    assert Prediction.objects.get(contact=c).outcome == "declined"
    assert "Puzzle" not in response.content.decode().split("Recommended for you")[1]
    # an unknown ask is a 404 and records nothing
    assert client.post(reverse("motivation:hub-not-for-me"), {"key": "x"}).status_code == 404
    assert Prediction.objects.count() == 1


def test_staff_profile_page_shows_chart_and_evidence(client, manager):
    c = _feedback_lover()
    response = client.get(reverse("motivation:contact-profile", args=[c.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="profile-data"' in html and "motivation/motivation.js" in html
    assert "accepted 3 product feedback / survey asks, declined 2 speaking slot asks" in html
    assert "<script>" not in html.replace('<script type="application/json"', "")


def test_next_best_partial_renders_through_the_template_tag(manager):
    from django.template import engines

    c = _feedback_lover()
    ChallengeFactory(kind=Challenge.Kind.FEEDBACK, title="Rate the new reports")
    html = (
        engines["django"]
        .from_string("{% load motivation_tags %}{% motivation_next_best contact 12 %}")
        .render({"contact": c})
    )
    assert "Next best ask" in html and "Rate the new reports" in html
    assert html.index("Rate the new reports") < html.index("<strong>Speaking slot</strong>")
    assert "accepted 3 of 3 product feedback / survey asks" in html


def test_campaign_builder_ranks_within_budget_and_sends(
    client, manager, django_assert_max_num_queries
):
    people = [AdvocateFactory() for _ in range(6)]
    Ask.objects.all().delete()
    url = reverse("motivation:staff-home")
    with django_assert_max_num_queries(80):
        response = client.get(url, {"preview": 1, "ask_type": "speaking.slot", "size": 4})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-contact=") == 4
    assert "Invite these 4 advocates" in html
    response = client.post(
        reverse("motivation:campaign-send"),
        {"ask_type": "speaking.slot", "size": 4, "name": "Summit speakers", "stages": ["advocate"]},
        follow=True,
    )
    assert "Invited 4 advocates within the ask budget (0 excluded)." in response.content.decode()
    campaign = Campaign.objects.get()
    assert Ask.objects.filter(source_type="campaign", source_id=str(campaign.pk)).count() == 4
    assert len(people) == 6


def test_campaign_builder_is_for_managers(client):
    sales = StaffFactory(role=User.Role.SALES)
    client.force_login(sales)
    assert client.get(reverse("motivation:staff-home")).status_code == 403
    response = client.post(
        reverse("motivation:campaign-send"), {"ask_type": "speaking.slot", "name": "x"}
    )
    assert response.status_code == 403 and Campaign.objects.count() == 0


def test_calibration_page(client, manager):
    c = AdvocateFactory()
    Prediction.objects.create(contact=c, ask_type="challenge.quiz", context="hub",
                              probability=0.25, outcome="accepted")  # fmt: skip
    Prediction.objects.create(contact=c, ask_type="challenge.feedback", context="hub",
                              probability=0.35, outcome="declined")  # fmt: skip
    response = client.get(reverse("motivation:calibration"))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="resolved">2<', html)
    assert 'id="calibration-data"' in html


def test_settings_page_saves_and_names_the_bad_field(client, manager):
    url = reverse("motivation:settings")
    page = client.get(url)
    assert page.status_code == 200
    data = {}
    for t in AskType.objects.all():
        data[f"{t.key}__value"] = t.value
        data[f"{t.key}__fatigue_cost"] = t.fatigue_cost
        data[f"{t.key}__is_active"] = "on"
        if t.uses_budget:
            data[f"{t.key}__uses_budget"] = "on"
        for m, w in t.motivators.items():
            data[f"{t.key}__{m}"] = w
    data["challenge.feedback__value"] = "11"
    response = client.post(url, data)
    assert "challenge.feedback: value: must be between 0 and 10" in response.content.decode()
    assert AskType.objects.get(key="challenge.feedback").value == 3
    data["challenge.feedback__value"] = "6"
    response = client.post(url, data)
    assert response.status_code == 302
    assert AskType.objects.get(key="challenge.feedback").value == 6


def test_api_profile_next_best_and_acceptance(client, manager, django_assert_max_num_queries):
    c = _feedback_lover()
    ChallengeFactory(kind=Challenge.Kind.FEEDBACK, title="Rate the new reports", points=120)
    r = client.get(f"/api/v1/motivation/contacts/{c.pk}/profile")
    assert r.status_code == 200
    body = r.json()
    assert body["observations"] == 5 and body["prior_source"] == "population"
    assert [m["key"] for m in body["motivators"]][:3] == ["purpose", "say", "spotlight"]
    assert body["motivators"][1]["chance"] > 0.5 > body["motivators"][2]["chance"]
    # bounded by the number of budget activity types (one budget check each), not by data
    with django_assert_max_num_queries(70):
        r = client.get(f"/api/v1/motivation/contacts/{c.pk}/next-best-asks?limit=10")
    titles = [a["title"] for a in r.json()["asks"]]
    assert "Rate the new reports" in titles
    assert client.get("/api/v1/motivation/contacts/999999/profile").status_code == 404
    assert (
        client.get(f"/api/v1/motivation/contacts/{c.pk}/next-best-asks?limit=99").status_code == 422
    )
    rows = client.get("/api/v1/motivation/acceptance").json()
    assert {(r["motivator"], r["ask_type"], r["asked"], r["accepted"]) for r in rows} >= {
        ("say", "challenge.feedback", 3, 3),
        ("spotlight", "challenge.speaking", 2, 0),
    }
