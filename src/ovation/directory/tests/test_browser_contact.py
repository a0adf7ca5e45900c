"""A sales rep and a CSM open the same customer contact in real Chromium: the CSM sees the
email and phone; the rep sees who the person is and is pointed to a reference request."""

import pytest
from playwright.sync_api import expect

from .factories import ContactFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rep_is_sent_to_a_reference_request_while_the_csm_sees_contact_details(
    page, live_server, browser_login, screenshot
):
    contact = ContactFactory(
        first_name="Grace", last_name="Hopper", title="VP Data", phone="+32 470 12 34 56"
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    browser_login(page, UserFactory(role="csm"))
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    expect(page.get_by_role("link", name=contact.email)).to_be_visible()
    expect(page.get_by_text(contact.phone)).to_be_visible()

    page.context.clear_cookies()
    browser_login(page, UserFactory(role="sales"))
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    expect(page.locator("h1")).to_contain_text("Grace Hopper")
    assert contact.email not in page.content() and contact.phone not in page.content()
    screenshot("directory-contact-as-sales")
    page.get_by_role("link", name="request a reference").click()
    page.wait_for_url(f"{live_server.url}/references/new/")
    expect(page.locator("h1")).to_be_visible()
