"""POST /api/v1/nps/responses, GET /api/v1/nps/summary, GET /api/v1/advocacy/summary."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.pulse import recompute
from ovation.pulse.models import Response
from ovation.users.services import api_token_create

from .factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _auth(user, scope="write"):
    result = api_token_create(user=user, name="t", scope=scope)
    raw = result[1] if isinstance(result, tuple) else result
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def api(client, manager):
    headers = _auth(manager)

    def call(method, path, **kwargs):
        return getattr(client, method)(
            f"/api/v1{path}", content_type="application/json", **headers, **kwargs
        )

    return call


def test_post_response_is_idempotent_by_external_id(api, contact):
    body = {"external_id": "ext-1", "email": contact.email.upper(), "score": 9, "reason": "Fast"}
    first = api("post", "/nps/responses", data=body)
    assert first.status_code == 201
    assert first.json()["category"] == "promoter" and first.json()["created"] is True
    again = api("post", "/nps/responses", data=body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": -1}, "score"),
        ({"score": "nine"}, "score"),
        ({"score": 5, "email": "nobody@nowhere.test"}, "email"),
        ({"score": 5, "contact_id": 999999}, "contact_id"),
    ],
)
def test_bad_input_is_problem_json_naming_the_field(api, contact, body, field):
    body = {"email": contact.email, **body}
    if "contact_id" in body:
        body.pop("email")
    response = api("post", "/nps/responses", data=body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert Response.objects.count() == 0


def test_read_token_and_other_roles_cannot_write(client, contact):
    reader = _auth(UserFactory(role="manager"), scope="read")
    sales = _auth(UserFactory(role="sales"))
    for headers in (reader, sales):
        response = client.post(
            "/api/v1/nps/responses",
            data={"email": contact.email, "score": 9},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 403
    assert Response.objects.count() == 0
    # sales can read
    assert client.get("/api/v1/nps/summary", **sales).status_code == 200


def test_summary_filters_by_period_and_segment(api, account):
    other = AccountFactory()
    now = timezone.now()
    mine = [ContactFactory(account=account) for _ in range(4)]
    theirs = ContactFactory(account=other)
    for contact, score in zip(mine, (10, 9, 7, 3), strict=True):
        api("post", "/nps/responses", data={"contact_id": contact.pk, "score": score})
    api(
        "post",
        "/nps/responses",
        data={
            "contact_id": theirs.pk,
            "score": 0,
            "answered_at": (now - timedelta(days=400)).isoformat(),
        },
    )
    body = api("get", f"/nps/summary?industry={account.industry.name}").json()
    assert {k: body[k] for k in ("nps", "promoters", "passives", "detractors", "responses")} == {
        "nps": 25.0,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
        "responses": 4,
    }
    assert body["margin_of_error"] == pytest.approx(1.96 * ((0.5 + 0.25 - 0.0625) / 4) ** 0.5 * 100)
    start = (now - timedelta(days=30)).date().isoformat()
    assert api("get", f"/nps/summary?start={start}").json()["responses"] == 4
    assert api("get", "/nps/summary").json()["responses"] == 5
    both = api("get", f"/nps/summary?industry={account.industry_id}&region={account.region.slug}")
    assert both.json()["responses"] == 4
    bad = api("get", "/nps/summary?industry=Nope")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "industry"


def test_advocacy_summary(api, account, django_capture_on_commit_callbacks):
    from ovation.activity.services import activity_record

    a, b = ContactFactory(account=account), ContactFactory(account=account)
    AccountFactory()  # an account without contacts does not count
    api("post", "/nps/responses", data={"contact_id": a.pk, "score": 10})
    activity_record(kind="reference.given", contact=a, source="test")
    api("post", "/nps/responses", data={"contact_id": b.pk, "score": 9})
    recompute.run()
    body = api("get", "/advocacy/summary").json()
    assert body == {
        "contacts": 2,
        "promoters": 2,
        "advocates": 1,
        "champions": 0,
        "advocacy_rate": 50.0,
        "accounts": 1,
        "advocate_accounts": 1,
        "account_advocacy_rate": 100.0,
    }
    seg = api("get", f"/advocacy/summary?region={account.region_id}&industry={account.industry_id}")
    assert seg.json()["advocates"] == 1
