"""A manager finds a module through the grouped menus, in real Chromium."""

import pytest
from playwright.sync_api import expect

from ovation.users.models import User


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_opens_a_menu_goes_to_contacts_and_menus_close(
    page, live_server, browser_login, screenshot
):
    manager = User.objects.create_user("m@acme.test", role=User.Role.MANAGER)
    browser_login(page, manager)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/")

    nav = page.get_by_role("navigation", name="Main")
    contacts = nav.get_by_role("link", name="Contacts")
    assert not contacts.is_visible()  # tucked in the Customers menu
    nav.locator("summary", has_text="Customers").click()
    expect(contacts).to_be_visible()
    page.wait_for_timeout(300)  # the menu fades in
    screenshot("navigation-customers-menu")

    # A click anywhere else closes it; Escape closes any open menu.
    page.mouse.click(900, 650)
    expect(contacts).to_be_hidden()
    nav.locator("summary", has_text="Advocates").click()
    expect(nav.get_by_role("link", name="Rewards")).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Rewards")).to_be_hidden()

    nav.locator("summary", has_text="Customers").click()
    contacts.click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    # The menu holding the current page is marked.
    assert "active" in (nav.locator("summary", has_text="Customers").get_attribute("class") or "")
    assert nav.get_by_role("link", name="Home").is_visible()
