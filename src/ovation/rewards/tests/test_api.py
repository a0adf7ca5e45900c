import json

import pytest

from ovation.ledger.services import balance_get
from ovation.rewards.models import Redemption, Reward
from ovation.rewards.services import policy_set
from ovation.users.models import User
from ovation.users.services import api_token_create

from .factories import ContactFactory, RewardFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def headers(manager):
    _, raw = api_token_create(user=manager, scope="write")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, path, body, headers, **extra):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", **headers, **extra
    )


def patch(client, path, body, headers):
    return client.patch(path, data=json.dumps(body), content_type="application/json", **headers)


def test_create_and_list_rewards(client, headers, django_assert_max_num_queries):
    response = post(
        client,
        "/api/v1/rewards",
        {
            "name": "Acme hoodie",
            "kind": "swag",
            "cost": 800,
            "stock": 40,
            "variants": ["S", "M", "L"],
            "needs_shipping": True,
        },
        headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["cost"], body["stock"], body["variants"], body["image_url"]) == (
        "Acme hoodie",
        800,
        40,
        ["S", "M", "L"],
        None,
    )
    for i in range(5):
        RewardFactory(name=f"Card {i}")
    with django_assert_max_num_queries(5):
        listing = client.get("/api/v1/rewards?limit=4", **headers).json()
    assert len(listing["items"]) == 4 and listing["next"]
    assert (
        client.get("/api/v1/rewards?kind=swag", **headers).json()["items"][0]["name"]
        == "Acme hoodie"
    )


def test_invalid_reward_names_the_field(client, headers):
    response = post(client, "/api/v1/rewards", {"name": "Mug", "kind": "mug", "cost": 5}, headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    response = post(client, "/api/v1/rewards", {"name": "Mug", "kind": "swag", "cost": 0}, headers)
    assert response.json()["errors"][0]["field"] == "cost"
    assert not Reward.objects.exists()


def test_patch_reward(client, headers, reward):
    response = patch(
        client, f"/api/v1/rewards/{reward.pk}", {"stock": 3, "is_active": False}, headers
    )
    assert response.status_code == 200
    reward.refresh_from_db()
    assert (reward.stock, reward.is_active, reward.cost) == (3, False, 100)


def test_redeem_on_a_contacts_behalf(client, headers, advocate, reward, manager):
    response = post(
        client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": advocate.pk}, headers
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["contact_id"], body["points"], body["status"], body["reward_name"]) == (
        advocate.pk,
        100,
        "approved",
        "$25 gift card",
    )
    assert balance_get(contact=advocate).spendable == 900
    assert Redemption.objects.get().requested_by == manager


def test_short_balance_is_409_problem_json(client, headers, reward):
    poor = ContactFactory()
    response = post(
        client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": poor.pk}, headers
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "$25 gift card costs 100 points; the balance is 0"
    assert not Redemption.objects.exists()


def test_out_of_stock_is_409(client, headers, advocate):
    reward = RewardFactory(stock=0)
    response = post(
        client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": advocate.pk}, headers
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "reward", "message": f"{reward.name} is out of stock"}
    ]
    assert balance_get(contact=advocate).spendable == 1000


def test_policy_violations_are_422_naming_the_field(client, headers, advocate):
    policy_set(account=advocate.account, donations_only=True)
    gift = RewardFactory(kind="gift_card")
    response = post(
        client, f"/api/v1/rewards/{gift.pk}/redemptions", {"contact_id": advocate.pk}, headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reward"
    assert "gift policy allows charity donations only" in response.json()["detail"]
    swag = RewardFactory(kind="donation", variants=["Red Cross", "UNICEF"])
    response = post(
        client, f"/api/v1/rewards/{swag.pk}/redemptions", {"contact_id": advocate.pk}, headers
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "variant")
    response = post(
        client, f"/api/v1/rewards/{swag.pk}/redemptions", {"contact_id": 987654}, headers
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "contact_id")
    assert not Redemption.objects.exists()
    assert balance_get(contact=advocate).spendable == 1000


def test_idempotency_key_replays_the_redemption(client, headers, advocate, reward):
    path = f"/api/v1/rewards/{reward.pk}/redemptions"
    first = post(client, path, {"contact_id": advocate.pk}, headers, HTTP_IDEMPOTENCY_KEY="r-1")
    again = post(client, path, {"contact_id": advocate.pk}, headers, HTTP_IDEMPOTENCY_KEY="r-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    other = ContactFactory()
    mismatch = post(client, path, {"contact_id": other.pk}, headers, HTTP_IDEMPOTENCY_KEY="r-1")
    assert mismatch.status_code == 422
    assert balance_get(contact=advocate).spendable == 900


def test_patch_redemption_status_and_cancel_refunds(client, headers, advocate):
    reward = RewardFactory(requires_approval=True, stock=1)
    redemption_id = post(
        client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": advocate.pk}, headers
    ).json()["id"]
    path = f"/api/v1/redemptions/{redemption_id}"
    assert patch(client, path, {"status": "fulfilled"}, headers).status_code == 409
    approved = patch(client, path, {"status": "approved", "note": "OK by CSM"}, headers).json()
    assert approved["status"] == "approved"
    note = patch(client, path, {"note": "Ordered from vendor", "is_internal": True}, headers).json()
    assert [e["note"] for e in note["events"]] == ["", "OK by CSM", "Ordered from vendor"]
    cancelled = patch(client, path, {"status": "cancelled", "note": "Vendor out"}, headers).json()
    assert cancelled["status"] == "cancelled" and cancelled["refund_entry_id"]
    assert patch(client, path, {"status": "cancelled"}, headers).status_code == 200
    assert balance_get(contact=advocate).spendable == 1000
    reward.refresh_from_db()
    assert reward.stock == 1
    assert client.get(path, **headers).json()["status"] == "cancelled"
    listing = client.get("/api/v1/redemptions?status=cancelled", **headers).json()
    assert [r["id"] for r in listing["items"]] == [redemption_id]


def test_redemptions_list_query_budget(
    client, headers, funded_contact, django_assert_max_num_queries
):
    reward = RewardFactory(cost=10)
    from ovation.rewards.services import redemption_create

    for _ in range(6):
        redemption_create(reward=reward, contact=funded_contact(points=50))
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/redemptions?status=open", **headers)
    assert len(response.json()["items"]) == 6


@pytest.mark.parametrize("role", ["sales", "csm", "executive"])
def test_other_staff_cannot_redeem_or_change_redemptions(client, advocate, reward, role):
    user = User.objects.create_user(f"{role}@acme.test", role=role)
    _, raw = api_token_create(user=user, scope="write")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert (
        post(
            client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": advocate.pk}, headers
        ).status_code
        == 403
    )
    assert (
        post(
            client, "/api/v1/rewards", {"name": "x", "kind": "swag", "cost": 1}, headers
        ).status_code
        == 403
    )
    assert client.get("/api/v1/redemptions", **headers).status_code == 403
    assert client.get("/api/v1/rewards", **headers).status_code == 200
    assert not Redemption.objects.exists()


def test_an_advocate_cannot_use_the_rewards_api_for_anyone(
    client, advocate, reward, funded_contact
):
    other = funded_contact(points=500)
    from ovation.rewards.services import redemption_create

    theirs, _ = redemption_create(reward=reward, contact=other)
    client.force_login(advocate.user)
    assert client.get(f"/api/v1/redemptions/{theirs.pk}").status_code == 403
    assert client.get("/api/v1/redemptions").status_code == 403
    assert (
        patch(client, f"/api/v1/redemptions/{theirs.pk}", {"status": "cancelled"}, {}).status_code
        == 403
    )
    response = post(
        client, f"/api/v1/rewards/{reward.pk}/redemptions", {"contact_id": other.pk}, {}
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/contacts/{other.pk}/balance").status_code == 403
    assert balance_get(contact=other).spendable == 400
    assert Redemption.objects.count() == 1
