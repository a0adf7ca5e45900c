"""API: GET/PATCH /api/v1/referrals/{id}, GET /api/v1/referral-links?contact_id=, and the
signed CRM webhook."""

import hashlib
import hmac
import json
import time

import pytest

from ovation.ledger.services import balance_get
from ovation.referrals.models import Referral, ReferralEvent, WebhookReceipt
from ovation.users.models import ApiToken

from .factories import UserFactory
from .test_fraud import submit


@pytest.fixture
def api(client, manager):
    client.force_login(manager)
    return client


def test_links_for_a_contact(api, link, referrer):
    response = api.get(f"/api/v1/referral-links?contact_id={referrer.pk}")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["code"], i["program"]) for i in items] == [(link.code, "customers")]
    assert items[0]["url"].endswith(f"/r/{link.code}")


def test_links_requires_contact_id(api, db):
    response = api.get("/api/v1/referral-links")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contact_id"


def test_get_and_patch_a_referral(api, link, referrer):
    r = submit(link)
    got = api.get(f"/api/v1/referrals/{r.pk}").json()
    assert (got["status"], got["referrer_contact_id"], got["link_code"]) == (
        "lead",
        referrer.pk,
        link.code,
    )

    response = api.patch(
        f"/api/v1/referrals/{r.pk}",
        data=json.dumps({"status": "won", "amount": "15000", "crm_id": "OPP-9"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["deal_amount"], body["crm_id"]) == ("won", "15000.00", "OPP-9")
    assert balance_get(contact=referrer).spendable == 2500
    assert ReferralEvent.objects.filter(referral=r, source="api").count() == 1


def test_patch_rejects_bad_input_naming_the_field(api, link):
    r = submit(link)
    bad_status = api.patch(
        f"/api/v1/referrals/{r.pk}",
        data=json.dumps({"status": "closed"}),
        content_type="application/json",
    )
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "status"
    services_conflict = api.patch(
        f"/api/v1/referrals/{r.pk}",
        data=json.dumps({"status": "won", "amount": -5}),
        content_type="application/json",
    )
    assert services_conflict.status_code == 422
    assert services_conflict.json()["errors"][0]["field"] == "amount"
    assert Referral.objects.get(pk=r.pk).status == "lead"
    assert api.get("/api/v1/referrals/999999").status_code == 404


def test_backwards_move_is_409(api, link):
    r = submit(link)
    api.patch(
        f"/api/v1/referrals/{r.pk}", data='{"status": "won"}', content_type="application/json"
    )
    response = api.patch(
        f"/api/v1/referrals/{r.pk}", data='{"status": "qualified"}', content_type="application/json"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"


def test_read_scope_token_cannot_patch_and_advocates_cannot_read(client, link):
    r = submit(link)
    user = UserFactory(role="manager")
    raw = ApiToken.generate()
    ApiToken.objects.create(
        user=user, prefix=raw[:12], key_hash=ApiToken.hash(raw), scope="read", name="t"
    )
    response = client.patch(
        f"/api/v1/referrals/{r.pk}",
        data='{"status": "won"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403
    assert (
        client.get(f"/api/v1/referrals/{r.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
        == 200
    )
    advocate = UserFactory(role="advocate")
    client.force_login(advocate)
    assert client.get(f"/api/v1/referrals/{r.pk}").status_code in (401, 403)
    assert Referral.objects.get(pk=r.pk).status == "lead"


def test_list_referrals_with_query_budget(api, link, django_assert_max_num_queries):
    for i in range(5):
        submit(link, email=f"p{i}@firm{i}.test")
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/referrals?limit=3").json()
    assert len(body["items"]) == 3 and body["next"]


# --- signed CRM webhook ------------------------------------------------------------------------

SECRET = "crm-shared-secret-123"


def signed(client, payload, *, secret=SECRET, ts=None, sig=None):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(
        "/referrals/webhooks/crm/",
        data=body,
        content_type="application/json",
        HTTP_X_OVATION_TIMESTAMP=ts,
        HTTP_X_OVATION_SIGNATURE=sig or f"sha256={mac}",
    )


@pytest.fixture
def crm(settings):
    settings.OVATION_REFERRAL_WEBHOOK_SECRET = SECRET


def test_webhook_moves_the_referral_once_per_event_id(client, crm, link, referrer):
    r = submit(link)
    payload = {"id": "evt_1", "referral_id": r.pk, "status": "won", "amount": "8000"}
    first = signed(client, payload)
    replay = signed(client, payload)
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["detail"] == "already processed"
    assert Referral.objects.get(pk=r.pk).status == "won"
    assert balance_get(contact=referrer).spendable == 2500
    assert WebhookReceipt.objects.count() == 1


def test_webhook_by_crm_id(client, crm, link):
    r = submit(link)
    Referral.objects.filter(pk=r.pk).update(crm_id="OPP-1")
    assert signed(client, {"id": "e2", "crm_id": "OPP-1", "status": "qualified"}).status_code == 200
    assert Referral.objects.get(pk=r.pk).status == "qualified"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "wrong"}, 401),
        ({"sig": "sha256=deadbeef"}, 401),
        ({"ts_offset": -600}, 400),
        ({"ts_offset": 600}, 400),
        ({"ts": "yesterday"}, 400),
    ],
)
def test_webhook_rejects_bad_signatures_and_stale_timestamps(client, crm, link, kwargs, status):
    if "ts_offset" in kwargs:  # computed now, not at collection: a slow run must not age it
        kwargs = {"ts": int(time.time()) + kwargs["ts_offset"]}
    r = submit(link)
    response = signed(client, {"id": "e3", "referral_id": r.pk, "status": "won"}, **kwargs)
    assert response.status_code == status
    assert Referral.objects.get(pk=r.pk).status == "lead"
    assert WebhookReceipt.objects.count() == 0


def test_webhook_unconfigured_is_503(client, link, settings):
    settings.OVATION_REFERRAL_WEBHOOK_SECRET = ""
    r = submit(link)
    assert signed(client, {"id": "e4", "referral_id": r.pk, "status": "won"}).status_code == 503


def test_webhook_invalid_move_is_reported_and_can_be_retried(client, crm, link):
    r = submit(link)
    response = signed(client, {"id": "e5", "referral_id": r.pk, "status": "nonsense"})
    assert response.status_code == 422
    assert WebhookReceipt.objects.count() == 0
