import re

import pytest

from ovation.ledger.services import balance_get
from ovation.rewards.models import AccountRewardPolicy, Redemption, Reward
from ovation.rewards.services import policy_set, redemption_create, redemption_transition
from ovation.users.models import User

from .factories import AccountFactory, RewardFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def key_of(html):
    return re.search(r'name="request_key" value="([^"]+)"', html).group(1)


# --- Hub -------------------------------------------------------------------------------------


def test_catalogue_shows_rewards_points_and_progress(
    client, advocate, django_assert_max_num_queries
):
    RewardFactory(name="$25 gift card", cost=100)
    RewardFactory(name="Dinner with the product team", kind="experience", cost=5000)
    RewardFactory(name="Hidden", is_active=False)
    client.force_login(advocate.user)
    with django_assert_max_num_queries(10):
        response = client.get("/hub/rewards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1,000 points" in html
    assert "$25 gift card" in html and "Dinner with the product team" in html
    assert "Hidden" not in html
    assert "4,000 more points to go" in html


def test_anonymous_is_sent_to_hub_login(client):
    response = client.get("/hub/rewards/")
    assert response.status_code == 302
    assert response["Location"].startswith("/hub/login/")
    assert client.get("/hub/rewards/mine/").status_code == 302


def test_redeem_asks_for_confirmation_then_redeems_once(client, advocate):
    hoodie = RewardFactory(
        name="Acme hoodie", kind="swag", cost=300, variants=["S", "M", "L"], stock=5
    )
    client.force_login(advocate.user)
    detail = client.get(f"/hub/rewards/{hoodie.pk}/").content.decode()
    key = key_of(detail)

    confirm = client.post(f"/hub/rewards/{hoodie.pk}/redeem/", {"variant": "M", "request_key": key})
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Confirm your redemption" in html and "Balance after" in html and "700" in html
    assert not Redemption.objects.exists()

    data = {"variant": "M", "request_key": key, "confirm": "True"}
    done = client.post(f"/hub/rewards/{hoodie.pk}/redeem/", data)
    again = client.post(f"/hub/rewards/{hoodie.pk}/redeem/", data)  # double submit
    redemption = Redemption.objects.get()
    assert done.status_code == 302 and again.status_code == 302
    assert done["Location"] == f"/hub/rewards/mine/{redemption.pk}/"
    assert (redemption.variant, redemption.status, redemption.requested_by) == (
        "M",
        "approved",
        advocate.user,
    )
    assert balance_get(contact=advocate).spendable == 700
    page = client.get(done["Location"]).content.decode()
    assert "You redeemed Acme hoodie" in page and "Approved" in page


def test_redeem_without_a_size_shows_the_error_and_changes_nothing(client, advocate):
    tee = RewardFactory(kind="swag", variants=["S", "M"])
    client.force_login(advocate.user)
    response = client.post(
        f"/hub/rewards/{tee.pk}/redeem/",
        {"request_key": "5f1c3a3e-8f4e-4d1e-9a53-1d2b3c4d5e6f", "confirm": "True"},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Redemption.objects.exists()


def test_short_balance_shows_progress_not_a_redeem_button(client, advocate):
    trip = RewardFactory(name="Early access trip", kind="experience", cost=1500)
    client.force_login(advocate.user)
    html = client.get(f"/hub/rewards/{trip.pk}/").content.decode()
    assert "500 more points to go" in html
    assert "Redeem for" not in html
    response = client.post(
        f"/hub/rewards/{trip.pk}/redeem/",
        {"request_key": "5f1c3a3e-8f4e-4d1e-9a53-1d2b3c4d5e6f", "confirm": "True"},
    )
    assert response.status_code == 409
    assert "costs 1,500 points; the balance is 1,000" in response.content.decode()
    assert balance_get(contact=advocate).spendable == 1000


def test_donations_only_account_sees_the_policy_and_cannot_redeem_gifts(client, advocate):
    policy_set(account=advocate.account, donations_only=True)
    card = RewardFactory(name="Amazon card", kind="gift_card")
    RewardFactory(name="Plant 20 trees", kind="donation")
    client.force_login(advocate.user)
    html = client.get("/hub/rewards/").content.decode()
    assert "doesn't accept personal gifts" in html
    assert "Charity donations only for your company" in html
    response = client.post(
        f"/hub/rewards/{card.pk}/redeem/",
        {"request_key": "5f1c3a3e-8f4e-4d1e-9a53-1d2b3c4d5e6f", "confirm": "True"},
    )
    assert response.status_code == 422
    assert "gift policy allows charity donations only" in response.content.decode()
    assert not Redemption.objects.exists()


def test_my_redemptions_show_only_mine_and_public_notes(client, advocate, funded_contact):
    reward = RewardFactory(name="Conference ticket", kind="experience", requires_approval=True)
    mine, _ = redemption_create(reward=reward, contact=advocate)
    redemption_transition(redemption=mine, status="approved", note="See you there!")
    redemption_transition(
        redemption=mine, status="fulfilled", note="VIP upgrade (internal)", is_internal=True
    )
    other = funded_contact(points=500)
    theirs, _ = redemption_create(reward=RewardFactory(name="Other person's mug"), contact=other)
    client.force_login(advocate.user)

    listing = client.get("/hub/rewards/mine/").content.decode()
    assert "Conference ticket" in listing and "Fulfilled" in listing
    assert "Other person&#x27;s mug" not in listing and "Other person's mug" not in listing

    detail = client.get(f"/hub/rewards/mine/{mine.pk}/").content.decode()
    assert "See you there!" in detail
    assert "VIP upgrade" not in detail
    assert client.get(f"/hub/rewards/mine/{theirs.pk}/").status_code == 404


def test_staff_cannot_use_the_hub_pages_without_a_contact(client, manager):
    client.force_login(manager)
    assert client.get("/hub/rewards/").status_code in (302, 403)


# --- Staff -----------------------------------------------------------------------------------


def test_staff_catalogue_lists_rewards_with_counts(
    client, manager, advocate, django_assert_max_num_queries
):
    reward = RewardFactory(name="Acme mug", kind="swag", stock=2)
    RewardFactory(name="Old tee", is_active=False)
    redemption_create(reward=reward, contact=advocate)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get("/rewards/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme mug" in html and "Old tee" in html and "Inactive" in html
    assert client.get("/rewards/?state=inactive").content.decode().count("Acme mug") == 0


def test_staff_creates_a_reward_with_an_image(client, manager, settings):
    client.force_login(manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/rewards/new/",
        {
            "name": "Acme hoodie",
            "kind": "swag",
            "cost": "800",
            "stock": "40",
            "variants": "S, M, L",
            "needs_shipping": "on",
            "is_active": "on",
            "image": SimpleUploadedFile("hoodie.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    reward = Reward.objects.get()
    assert (reward.name, reward.cost, reward.stock, reward.variants, reward.image_type) == (
        "Acme hoodie",
        800,
        40,
        ["S", "M", "L"],
        "image/png",
    )
    image = client.get(f"/rewards/image/{reward.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert bytes(image.content) == PNG
    assert "sandbox" in image["Content-Security-Policy"]


def test_a_bad_image_is_refused_naming_the_field_and_nothing_is_saved(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(manager)
    response = client.post(
        "/rewards/new/",
        {
            "name": "Mug",
            "kind": "swag",
            "cost": "50",
            "image": SimpleUploadedFile(
                "x.svg", b"<svg><script>alert(1)</script></svg>", content_type="image/svg+xml"
            ),
        },
    )
    assert response.status_code == 422
    assert "contains scripts" in response.content.decode()
    assert not Reward.objects.exists()


def test_fulfilment_queue_and_status_changes(
    client, manager, advocate, django_assert_max_num_queries
):
    reward = RewardFactory(name="Gift card", requires_approval=True)
    redemption, _ = redemption_create(reward=reward, contact=advocate)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        queue = client.get("/rewards/fulfilment/")
    assert "Approve" in queue.content.decode()
    response = client.post(
        f"/rewards/redemptions/{redemption.pk}/",
        {"status": "approved", "next": "/rewards/fulfilment/"},
    )
    assert response.status_code == 302 and response["Location"] == "/rewards/fulfilment/"
    client.post(
        f"/rewards/redemptions/{redemption.pk}/", {"status": "fulfilled", "note": "Code emailed"}
    )
    redemption.refresh_from_db()
    assert redemption.status == "fulfilled"
    assert redemption.events.last().note == "Code emailed"
    assert redemption.events.last().actor == manager
    refused = client.post(f"/rewards/redemptions/{redemption.pk}/", {"status": "cancelled"})
    assert refused.status_code == 409
    assert balance_get(contact=advocate).spendable == 900


def test_open_redirect_is_ignored(client, manager, advocate):
    redemption, _ = redemption_create(
        reward=RewardFactory(requires_approval=True), contact=advocate
    )
    client.force_login(manager)
    response = client.post(
        f"/rewards/redemptions/{redemption.pk}/", {"status": "approved", "next": "//evil.test/"}
    )
    assert response["Location"] == f"/rewards/redemptions/{redemption.pk}/"


def test_gift_policy_page_sets_and_lifts(client, manager):
    account = AccountFactory(name="City of Springfield")
    client.force_login(manager)
    html = client.get("/rewards/policies/?q=springfield").content.decode()
    assert "City of Springfield" in html
    client.post(
        "/rewards/policies/",
        {"account_id": account.pk, "donations_only": "on", "note": "Public sector"},
    )
    policy = AccountRewardPolicy.objects.get()
    assert (policy.account, policy.note, policy.updated_by) == (account, "Public sector", manager)
    client.post("/rewards/policies/", {"account_id": account.pk})
    assert not AccountRewardPolicy.objects.exists()


@pytest.mark.parametrize("role", ["sales", "csm", "executive", "advocate"])
def test_staff_pages_need_manage_programs(client, role, advocate):
    user = User.objects.create_user(f"{role}@acme.test", role=role)
    redemption, _ = redemption_create(
        reward=RewardFactory(requires_approval=True), contact=advocate
    )
    client.force_login(user)
    for path in (
        "/rewards/",
        "/rewards/new/",
        "/rewards/fulfilment/",
        "/rewards/policies/",
        f"/rewards/redemptions/{redemption.pk}/",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        client.post(f"/rewards/redemptions/{redemption.pk}/", {"status": "cancelled"}).status_code
        == 403
    )
    redemption.refresh_from_db()
    assert redemption.status == "requested"
    assert balance_get(contact=advocate).spendable == 900
