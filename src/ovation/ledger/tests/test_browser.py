"""In a real browser: a manager adjusts a contact's points with a reason on the ledger page."""

import pytest
from playwright.sync_api import expect

from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import ledger_credit
from ovation.users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_adjusts_points_with_a_reason(page, live_server, browser_login, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})
    manager = User.objects.create_user(
        "manager@acme.test", role="manager", full_name="Morgan Manager"
    )
    contact = Contact.objects.create(
        email="ada@example.com", first_name="Ada", last_name="Lovelace"
    )
    ledger_credit(contact=contact, points=400, idempotency_key="seed", reason="Webinar speaker")
    browser_login(page, manager)

    page.goto(f"{live_server.url}/ledger/{contact.pk}/")
    expect(page.locator("#spendable")).to_have_text("400")
    page.get_by_label("Points").fill("150")
    page.get_by_role("button", name="Record adjustment").click()
    expect(
        page.get_by_text("A reason is required.").or_(page.get_by_text("This field is required."))
    ).to_be_visible()
    assert LedgerEntry.objects.count() == 1

    page.get_by_label("Points").fill("150")
    page.get_by_label("Reason").fill("Keynote at Acme Summit")
    page.get_by_role("button", name="Record adjustment").click()
    expect(page.get_by_text("Adjusted Ada Lovelace by +150 points.")).to_be_visible()
    expect(page.locator("#spendable")).to_have_text("550")
    expect(page.locator("#lifetime")).to_have_text("550")
    expect(page.get_by_text("Keynote at Acme Summit")).to_be_visible()
    screenshot("ledger-contact")
    entry = LedgerEntry.objects.get(kind="adjust")
    assert (entry.actor, entry.reason) == (manager, "Keynote at Acme Summit")
