"""The whole loop in a real browser: an advocate copies their link in the hub, a visitor
opens it and submits the form, the manager sees the lead and marks it won, both rewards land,
and the funnel shows it."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from ovation.ledger.services import balance_get
from ovation.referrals.models import Referral, ReferralReward

from .factories import ContactFactory, ProgramFactory, UserFactory

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login_cookie(context, live_server, user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key,
          "url": live_server.url}]
    )  # fmt: skip


def test_referral_loop(browser, live_server, screenshot, settings):
    settings.OVATION_BASE_URL = live_server.url
    ProgramFactory(slug="customers", name="Customers refer a peer",
                   headline="See why teams like yours switched to Acme Analytics",
                   body_markdown="Dashboards your whole company uses.",
                   body_html="<p>Dashboards your whole company uses.</p><ul><li>Connect your warehouse in minutes</li><li>Forecasts your CFO will trust</li></ul>",
                   terms="Valid for new customers on an annual plan.")  # fmt: skip
    advocate_user = UserFactory(role="advocate", email="janey@acme-corp.test")
    referrer = ContactFactory(
        first_name="Janey", last_name="Smith", email="janey@acme-corp.test",
        account__name="Acme Corp", account__domain="acme-corp.test", user=advocate_user,
    )  # fmt: skip
    manager = UserFactory(role="manager", email="manager@ovation.test", full_name="Mia Manager")

    # 1. The advocate copies their personal link in the hub.
    hub = browser.new_context(viewport={"width": 1280, "height": 900})
    hub.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login_cookie(hub, live_server, advocate_user)
    page = hub.new_page()
    page.goto(f"{live_server.url}/hub/refer/")
    assert page.get_by_role("heading", name="Refer a peer").is_visible()
    page.get_by_role("button", name="Copy link").click()
    page.get_by_role("button", name="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"{live_server.url}/r/") and copied.endswith("?c=copy")
    assert page.locator(".ref-qr svg").count() == 1
    screenshot("referrals-hub-links", page)
    hub.close()

    # 2. A visitor opens it in a fresh browser and submits the form (phone first).
    # Real browsers' user agents (headless Chromium says "HeadlessChrome": counted as a bot).
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=IPHONE
    )
    p = phone.new_page()
    p.goto(copied)
    assert "/refer/customers/" in p.url
    assert p.get_by_text("invites you").is_visible()
    screenshot("referrals-landing-phone", p)
    phone.close()

    visitor = browser.new_context(viewport={"width": 1280, "height": 860}, user_agent=CHROME)
    v = visitor.new_page()
    v.goto(copied)
    assert v.get_by_text("Janey at Acme Corp").is_visible()
    screenshot("referrals-landing-desktop", v)
    v.get_by_label("First name").fill("Sam")
    v.get_by_label("Last name").fill("Rivera")
    v.get_by_label("Work email").fill("not-an-email")
    v.get_by_label("Company").fill("Northwind")
    v.get_by_role("button", name="Get in touch").click()
    assert v.get_by_text("Enter a valid email address").is_visible()
    assert v.get_by_text("Please agree to be contacted").is_visible()
    screenshot("referrals-landing-errors", v)
    v.get_by_label("Work email").fill("sam.rivera@northwind.test")
    v.locator("input[name=consent]").check()
    v.get_by_role("button", name="Get in touch").click()
    v.get_by_role("heading", name="Thank you").wait_for()
    visitor.close()
    referral = Referral.objects.get()
    assert (referral.referrer_id, referral.channel, referral.status) == (
        referrer.pk,
        "copy",
        "lead",
    )

    # 3. The manager sees the lead and marks it won.
    staff = browser.new_context(viewport={"width": 1366, "height": 900})
    login_cookie(staff, live_server, manager)
    m = staff.new_page()
    m.goto(f"{live_server.url}/referrals/leads/")
    row = m.locator("tr", has_text="Sam Rivera")
    assert row.get_by_text("Janey Smith").is_visible()
    screenshot("referrals-leads-list", m)
    # Everyone here shares 127.0.0.1, the advocate's own hub network: flagged for review.
    assert row.get_by_text("network the referrer used").is_visible()
    row.get_by_role("link", name="Sam Rivera").click()
    m.get_by_role("button", name="Approve").click()
    m.get_by_text("Approved: rewards are paid").wait_for()
    m.get_by_label("Status").select_option("won")
    m.get_by_label("Deal amount").fill("24000")
    m.get_by_role("button", name="Update stage").click()
    m.get_by_text("Referral is now won").wait_for()
    screenshot("referrals-lead-detail", m)

    # 4. Both rewards land.
    assert balance_get(contact=referrer).spendable == 2500
    rewards = dict(ReferralReward.objects.values_list("recipient", "state").filter(stage="won"))
    assert rewards == {"referrer": "paid", "friend": "issued"}
    assert m.locator("td", has_text="Code FRIEND20").is_visible()

    # 5. The funnel shows it.
    m.goto(f"{live_server.url}/referrals/")
    funnel = m.get_by_test_id("funnel")
    assert funnel.locator("[data-metric=clicks]").inner_text() == "2"
    assert funnel.locator("[data-metric=leads]").inner_text() == "1"
    assert funnel.locator("[data-metric=won]").inner_text() == "1"
    assert funnel.locator("[data-metric=revenue]").inner_text() == "$24,000"
    screenshot("referrals-funnel", m)
    staff.close()
