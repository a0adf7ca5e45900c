import json

import pytest

from ovation.activity.models import Activity
from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get, ledger_credit
from ovation.users.models import User

pytestmark = pytest.mark.django_db

URL = "/api/v1/ledger/entries"


def post(client, headers, body, key="key-1"):
    extra = dict(headers)
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def test_credit_returns_the_entry_and_moves_the_balance(client, manager, contact, token_for):
    response = post(
        client, token_for(manager), {"contact_id": contact.pk, "amount": 250, "kind": "credit"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["contact_id"], body["amount"], body["lifetime_delta"], body["kind"]) == (
        contact.pk,
        250,
        250,
        "earn",
    )
    assert body["actor_id"] == manager.pk
    assert balance_get(contact=contact).spendable == 250


def test_replay_with_same_body_returns_the_first_result(client, manager, contact, token_for):
    headers = token_for(manager)
    body = {"contact_id": contact.pk, "amount": 40, "kind": "credit", "reason": "webinar"}
    first = post(client, headers, body, key="abc")
    again = post(client, headers, body, key="abc")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.count() == 1
    assert balance_get(contact=contact).spendable == 40


def test_same_key_with_a_different_body_is_refused_with_422(client, manager, contact, token_for):
    headers = token_for(manager)
    post(client, headers, {"contact_id": contact.pk, "amount": 40, "kind": "credit"}, key="abc")
    response = post(
        client, headers, {"contact_id": contact.pk, "amount": 41, "kind": "credit"}, key="abc"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": "Idempotency-Key",
            "message": "this Idempotency-Key was already used with a different request",
        }
    ]
    assert balance_get(contact=contact).spendable == 40


def test_keys_are_scoped_per_api_user(client, manager, contact, token_for):
    other = User.objects.create_user("other@acme.test", role=User.Role.ADMIN)
    body = {"contact_id": contact.pk, "amount": 5, "kind": "credit"}
    assert post(client, token_for(manager), body, key="same").status_code == 201
    assert post(client, token_for(other), body, key="same").status_code == 201
    assert balance_get(contact=contact).spendable == 10


def test_internal_keys_cannot_be_replayed_through_the_api(client, manager, contact, token_for):
    ledger_credit(contact=contact, points=100, idempotency_key="submission:1:approve")
    body = {"contact_id": contact.pk, "amount": 100, "kind": "credit"}
    response = post(client, token_for(manager), body, key="submission:1:approve")
    assert response.status_code == 201
    assert (
        response.json()["id"] != LedgerEntry.objects.get(idempotency_key="submission:1:approve").pk
    )


def test_missing_key_is_a_400_naming_the_header(client, manager, contact, token_for):
    response = post(
        client,
        token_for(manager),
        {"contact_id": contact.pk, "amount": 5, "kind": "credit"},
        key=None,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not LedgerEntry.objects.exists()


def test_debit_beyond_balance_is_409_and_a_retry_is_evaluated_again(
    client, manager, contact, token_for
):
    headers = token_for(manager)
    body = {"contact_id": contact.pk, "amount": 50, "kind": "debit"}
    refused = post(client, headers, body, key="d1")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "amount"
    ledger_credit(contact=contact, points=60, idempotency_key="seed")
    accepted = post(client, headers, body, key="d1")
    assert accepted.status_code == 201
    assert accepted.json()["amount"] == -50
    assert accepted.json()["lifetime_delta"] == 0
    assert balance_get(contact=contact).spendable == 10


def test_adjustment_requires_a_reason_and_is_audited(client, manager, contact, token_for):
    headers = token_for(manager)
    refused = post(
        client, headers, {"contact_id": contact.pk, "amount": -5, "kind": "adjust"}, key="a1"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    assert not LedgerEntry.objects.exists()

    ok = post(
        client,
        headers,
        {"contact_id": contact.pk, "amount": 75, "kind": "adjust", "reason": "Keynote at Summit"},
        key="a2",
    )
    assert ok.status_code == 201
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.actor, entry.reason, entry.amount) == (
        "adjust",
        manager,
        "Keynote at Summit",
        75,
    )
    activity = Activity.objects.get(kind="points.adjusted")
    assert (activity.contact, activity.actor, activity.data["reason"]) == (
        contact,
        manager,
        "Keynote at Summit",
    )


def test_zero_negative_and_huge_amounts_are_refused(client, manager, contact, token_for):
    headers = token_for(manager)
    assert (
        post(
            client, headers, {"contact_id": contact.pk, "amount": -5, "kind": "credit"}, key="n"
        ).status_code
        == 422
    )
    assert (
        post(
            client,
            headers,
            {"contact_id": contact.pk, "amount": 0, "kind": "adjust", "reason": "x"},
            key="z",
        ).status_code
        == 400
    )
    huge = post(
        client, headers, {"contact_id": contact.pk, "amount": 10**12, "kind": "credit"}, key="h"
    )
    assert huge.status_code == 422
    assert huge.json()["errors"][0]["field"] == "amount"
    assert not LedgerEntry.objects.exists()


def test_unknown_contact_is_404(client, manager, token_for):
    response = post(
        client, token_for(manager), {"contact_id": 999999, "amount": 5, "kind": "credit"}
    )
    assert response.status_code == 404


def test_balance_and_ledger_read(
    client, manager, contact, token_for, django_assert_max_num_queries
):
    for i in range(5):
        ledger_credit(contact=contact, points=10 + i, idempotency_key=f"k{i}")
    headers = token_for(manager, scope="read")
    balance = client.get(f"/api/v1/contacts/{contact.pk}/balance", **headers)
    assert balance.json() == {"contact_id": contact.pk, "spendable": 60, "lifetime": 60}
    with django_assert_max_num_queries(6):
        page = client.get(f"/api/v1/contacts/{contact.pk}/ledger?limit=3", **headers).json()
    assert [e["amount"] for e in page["items"]] == [10, 11, 12]
    rest = client.get(page["next"], **headers).json()
    assert [e["amount"] for e in rest["items"]] == [13, 14]
    assert rest["next"] is None


def test_read_scope_token_cannot_post(client, manager, contact, token_for):
    response = post(
        client,
        token_for(manager, scope="read"),
        {"contact_id": contact.pk, "amount": 5, "kind": "credit"},
    )
    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("role", ["sales", "csm", "executive"])
def test_staff_without_adjust_points_cannot_post(client, contact, token_for, role):
    user = User.objects.create_user(f"{role}@acme.test", role=role)
    response = post(
        client, token_for(user), {"contact_id": contact.pk, "amount": 5, "kind": "credit"}
    )
    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()
    assert (
        client.get(f"/api/v1/contacts/{contact.pk}/balance", **token_for(user)).status_code == 200
    )


def test_an_advocate_cannot_read_anyones_balance_or_ledger_through_the_api(client, contact):
    me = Contact.objects.create(email="me@example.com")
    user = User.objects.create_user("me@example.com", role=User.Role.ADVOCATE)
    me.user = user
    me.save(update_fields=["user"])
    ledger_credit(contact=contact, points=70, idempotency_key="k")
    client.force_login(user)
    for path in (f"/api/v1/contacts/{contact.pk}/balance", f"/api/v1/contacts/{contact.pk}/ledger"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "70" not in response.content.decode()
    response = client.post(
        URL,
        data=json.dumps({"contact_id": me.pk, "amount": 5, "kind": "credit"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x",
    )
    assert response.status_code == 403
    assert balance_get(contact=me).spendable == 0


def test_anonymous_is_401(client, contact):
    assert client.get(f"/api/v1/contacts/{contact.pk}/balance").status_code == 401
