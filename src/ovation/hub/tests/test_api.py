import json

import pytest

from ovation.hub import services
from ovation.hub.models import Challenge
from ovation.ledger.services import balance_get
from ovation.users.services import api_token_create

from .factories import AdvocateFactory, ChallengeFactory


@pytest.fixture
def api(client, manager):
    _, raw = api_token_create(user=manager, scope="write")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    class Api:
        def get(self, path):
            return client.get(path, **headers)

        def post(self, path, body=None):
            return client.post(
                path, data=json.dumps(body or {}), content_type="application/json", **headers
            )

    return Api()


@pytest.mark.django_db
def test_create_and_list_a_quiz_challenge(api):
    response = api.post(
        "/api/v1/challenges",
        {
            "title": "Product trivia",
            "kind": "quiz",
            "status": "published",
            "points": 60,
            "body": "Try **this** <script>alert(1)</script>",
            "motivators": ["mastery", "reward"],
            "questions": [{"prompt": "2+2?", "options": ["3", "4"], "correct_option": 1}],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "quiz" and created["points"] == 60
    challenge = Challenge.objects.get(pk=created["id"])
    assert challenge.questions.count() == 1
    assert "<script>" not in challenge.body_html and "<strong>this</strong>" in challenge.body_html
    listed = api.get("/api/v1/challenges?kind=quiz").json()
    assert [c["id"] for c in listed["items"]] == [created["id"]]


@pytest.mark.django_db
def test_create_challenge_errors_name_the_field(api):
    response = api.post(
        "/api/v1/challenges", {"title": "Review us", "kind": "review", "points": 100}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "disclosure_text",
            "message": "a review challenge that offers points needs the incentive disclosure text",
        }
    ]
    response = api.post(
        "/api/v1/challenges", {"title": "Quiz", "kind": "quiz", "status": "published"}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "questions"
    response = api.post("/api/v1/challenges", {"title": "x", "points": -5})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "points"
    assert Challenge.objects.count() == 0


@pytest.mark.django_db
def test_submission_list_approve_reject(api, defaults):
    challenge = ChallengeFactory(points=45)
    a, b = AdvocateFactory(), AdvocateFactory()
    sa = services.submission_create(challenge=challenge, contact=a)
    sb = services.submission_create(challenge=challenge, contact=b)
    listed = api.get("/api/v1/submissions?status=pending").json()
    assert [s["id"] for s in listed["items"]] == [sa.pk, sb.pk]
    assert listed["items"][0]["contact_email"] == a.email

    first = api.post(f"/api/v1/submissions/{sa.pk}/approve")
    again = api.post(f"/api/v1/submissions/{sa.pk}/approve")
    assert first.status_code == again.status_code == 200
    assert (first.json()["approved_now"], again.json()["approved_now"]) == (True, False)
    assert balance_get(contact=a).spendable == 45

    rejected = api.post(f"/api/v1/submissions/{sb.pk}/reject", {"reason": "Please link the review"})
    assert (
        rejected.status_code == 200 and rejected.json()["reject_reason"] == "Please link the review"
    )
    conflict = api.post(f"/api/v1/submissions/{sb.pk}/approve")
    assert conflict.status_code == 409
    assert api.post("/api/v1/submissions/999999/approve").status_code == 404
    assert balance_get(contact=b).spendable == 0


@pytest.mark.django_db
def test_submission_list_is_cursor_paginated(api):
    challenge = ChallengeFactory(per_person_limit=5)
    advocate = AdvocateFactory()
    for _ in range(5):
        services.submission_create(challenge=challenge, contact=advocate)
    page1 = api.get("/api/v1/submissions?limit=2").json()
    assert len(page1["items"]) == 2 and page1["next"]
    page2 = api.get(page1["next"].split("testserver")[1]).json()
    assert page2["items"][0]["id"] > page1["items"][1]["id"]


@pytest.mark.django_db
def test_hub_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/challenges"])
    assert "get" in paths["/api/v1/challenges/{challenge_id}"]
    assert "get" in paths["/api/v1/submissions"]
    assert "post" in paths["/api/v1/submissions/{submission_id}/approve"]
    assert "post" in paths["/api/v1/submissions/{submission_id}/reject"]
