"""In a real browser: an advocate redeems a reward in the hub, a manager fulfils it, and the
advocate sees it fulfilled. Also on a phone-sized viewport."""

import pytest
from playwright.sync_api import expect

from ovation.ledger.services import balance_get, ledger_credit
from ovation.rewards.models import Redemption
from ovation.rewards.services import policy_set, reward_create
from ovation.users.models import User

from .factories import AdvocateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _catalogue(manager):
    reward_create(
        actor=manager,
        name="Acme Analytics hoodie",
        kind="swag",
        cost=800,
        stock=12,
        variants=["S", "M", "L", "XL"],
        needs_shipping=True,
        description="Heavyweight organic cotton hoodie, embroidered logo.",
        fulfilment_info="Ships within 2 weeks.",
    )
    reward_create(
        actor=manager,
        name="$10 coffee gift card",
        kind="gift_card",
        cost=250,
        fulfilment_info="Sent by email within 3 business days.",
    )
    reward_create(actor=manager, name="Plant 20 trees", kind="donation", cost=400)
    reward_create(
        actor=manager,
        name="Dinner with the product team",
        kind="experience",
        cost=5000,
        stock=6,
        per_person_limit=1,
        requires_approval=True,
    )
    reward_create(
        actor=manager,
        name="Early access to Acme AI",
        kind="experience",
        cost=1500,
        requires_approval=True,
    )
    reward_create(actor=manager, name="1:1 analytics office hours", kind="custom", cost=600)


def _people():
    manager = User.objects.create_user(
        "manager@acme.test", role=User.Role.MANAGER, full_name="Morgan Manager"
    )
    advocate = AdvocateFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace", account__name="Initech"
    )
    ledger_credit(contact=advocate, points=1200, idempotency_key="seed:ada")
    return manager, advocate


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_advocate_redeems_manager_fulfils_advocate_sees_fulfilled(
    page, live_server, browser_login, screenshot, viewport
):
    if viewport == "phone":
        page.set_viewport_size({"width": 390, "height": 844})
    else:
        page.set_viewport_size({"width": 1280, "height": 900})
    manager, advocate = _people()
    _catalogue(manager)

    # The advocate browses the catalogue and redeems a hoodie in size M.
    browser_login(page, advocate.user)
    page.goto(f"{live_server.url}/hub/rewards/")
    expect(page.locator("#my-points")).to_have_text("1,200 points")
    expect(page.get_by_text("3,800 more points to go")).to_be_visible()
    screenshot(f"rewards-hub-catalogue-{viewport}")
    page.get_by_role("link", name="Acme Analytics hoodie").click()
    page.get_by_label("Size").select_option("M")
    page.get_by_label("Shipping address").fill("1 Infinite Loop\nCupertino, CA 95014")
    page.get_by_role("button", name="Redeem for 800 points").click()
    expect(page.get_by_text("Confirm your redemption")).to_be_visible()
    expect(page.locator(".confirm-box")).to_contain_text("400")  # balance after
    screenshot(f"rewards-hub-confirm-{viewport}")
    page.get_by_role("button", name="Confirm and redeem").click()
    expect(page.get_by_text("You redeemed Acme Analytics hoodie")).to_be_visible()
    expect(page.locator("#redemption-status")).to_have_text("Approved")
    redemption = Redemption.objects.get()
    assert (redemption.variant, redemption.status) == ("M", "approved")
    assert balance_get(contact=advocate).spendable == 400

    # The manager fulfils it from the queue with a note for the advocate.
    page.context.clear_cookies()
    browser_login(page, manager)
    page.goto(f"{live_server.url}/rewards/fulfilment/")
    row = page.locator(f"#redemption-{redemption.pk}")
    expect(row).to_contain_text("Ada Lovelace")
    expect(row).to_contain_text("Size M")
    screenshot(f"rewards-fulfilment-queue-{viewport}")
    row.get_by_role("button", name="Open").click()
    page.get_by_label("Status").select_option("fulfilled")
    page.get_by_role("textbox", name="Note").fill("Shipped with UPS, tracking 1Z999AA10123456784.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#redemption-status")).to_have_text("Fulfilled")

    # The advocate sees it fulfilled, with the note.
    page.context.clear_cookies()
    browser_login(page, advocate.user)
    page.goto(f"{live_server.url}/hub/rewards/mine/")
    expect(page.get_by_text("Fulfilled")).to_be_visible()
    page.get_by_role("link", name="Acme Analytics hoodie").click()
    expect(page.locator("#redemption-status")).to_have_text("Fulfilled")
    expect(page.get_by_text("Shipped with UPS")).to_be_visible()
    screenshot(f"rewards-hub-redemption-{viewport}")


def test_staff_catalogue_and_donations_only_hub(page, live_server, browser_login, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})
    manager, advocate = _people()
    _catalogue(manager)
    policy_set(account=advocate.account, donations_only=True, note="Public sector", actor=manager)

    browser_login(page, manager)
    page.goto(f"{live_server.url}/rewards/")
    expect(page.get_by_role("heading", name="Rewards")).to_be_visible()
    expect(page.get_by_role("link", name="Acme Analytics hoodie")).to_be_visible()
    screenshot("rewards-staff-catalogue")
    page.goto(f"{live_server.url}/rewards/policies/?q=Initech")
    expect(page.get_by_text("Public sector")).to_be_visible()
    screenshot("rewards-staff-policies")

    page.context.clear_cookies()
    browser_login(page, advocate.user)
    page.goto(f"{live_server.url}/hub/rewards/")
    expect(page.get_by_text("doesn't accept personal gifts")).to_be_visible()
    screenshot("rewards-hub-donations-only")
