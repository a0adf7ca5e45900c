"""The reference journey in a real browser: a sales rep files a request, a manager invites the
best match, the advocate accepts in the hub, the rep records the outcome, pool health updates."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from ovation.users.models import User

from .factories import ContactFactory, IndustryFactory, ProductFactory, RegionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login_as(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_request_to_outcome_journey(page, live_server, screenshot):
    ind = IndustryFactory(name="Healthcare")
    RegionFactory(name="EMEA")
    prod = ProductFactory(name="Forecast")
    advocate = ContactFactory(
        first_name="Grace", last_name="Hopper", title="VP Finance", seniority="vp"
    )
    advocate.account.products.set([prod])
    for i in range(3):
        ContactFactory(first_name=f"Other{i}", seniority="ic")
    rep = User.objects.create_user("rep@acme.test", role="sales", full_name="Sam Rep")
    manager = User.objects.create_user("boss@acme.test", role="manager", full_name="Mia Manager")
    adv_user = User.objects.create_user("grace@customer.test", role="advocate")
    advocate.user = adv_user
    advocate.save()

    # The sales rep files a request.
    login_as(page, live_server, rep)
    page.goto(f"{live_server.url}/references/new/")
    page.fill("input[name=opportunity_name]", "Globex Health — platform deal")
    page.fill("input[name=opportunity_crm_id]", "OPP-4242")
    page.fill("input[name=amount]", "120000")
    page.select_option("select[name=industry]", str(ind.pk))
    page.fill("input[name=country]", "DE")
    page.select_option("select[name=employee_band]", "201-1000")
    page.select_option("select[name=seniority]", "vp")
    page.check(f"input[name=products][value='{prod.pk}']")
    page.fill("textarea[name=use_case]", "Rolling revenue forecasting to replace spreadsheets")
    screenshot("references-01-new-request")
    page.click("button:has-text('Submit request')")
    page.wait_for_selector("#request-status")
    assert page.inner_text("#request-status") == "Submitted"
    request_url = page.url

    # The manager sees ranked matches with explanations and invites the best one.
    login_as(page, live_server, manager)
    page.goto(request_url)
    first = page.locator(".match-list li").first
    assert "Grace Hopper" in first.inner_text()
    assert "same industry (Healthcare)" in first.inner_text()
    assert "peer seniority (VP)" in first.inner_text()
    screenshot("references-02-matches")
    first.locator("button:has-text('Invite')").click()
    page.wait_for_selector(".messages")
    assert page.inner_text("#request-status") == "Advocate invited"

    # The advocate accepts in the hub, proposing a time.
    login_as(page, live_server, adv_user)
    page.goto(f"{live_server.url}/hub/references/")
    assert "about 30 minutes" in page.inner_text("main")
    slot = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT15:00")
    page.fill("input[name=slot1]", slot)
    screenshot("references-03-hub-invite")
    page.click("button:has-text('Accept')")
    page.wait_for_selector(".messages")
    assert "Thank you" in page.inner_text(".messages")

    # The rep records the outcome; the manager's pool health shows the ask.
    login_as(page, live_server, rep)
    page.goto(request_url)
    assert page.inner_text("#request-status") == "Accepted"
    page.click("summary:has-text('Record how it went')")
    page.check("input[name=held][value=yes]")
    page.select_option("select[name=rating]", "5")
    page.fill("textarea[name=feedback]", "Spot on; the prospect signed the next week")
    page.click("button:has-text('Save outcome') >> nth=1")
    page.wait_for_selector(".messages")
    assert page.inner_text("#request-status") == "Completed"
    page.select_option("select[name=outcome]", "won")
    page.fill("input[name=amount]", "115000")
    page.click("button:has-text('Save outcome') >> nth=0")
    page.wait_for_selector("#opp-outcome")
    assert "Won" in page.inner_text("#opp-outcome")
    screenshot("references-04-completed")

    login_as(page, live_server, manager)
    page.goto(f"{live_server.url}/references/pool/")
    assert "1 ask in 12 months" in page.inner_text(".tiles")
    screenshot("references-05-pool-health")
    page.goto(f"{live_server.url}/references/outcomes/")
    assert page.inner_text("#won-revenue") == "$115,000"
    screenshot("references-06-outcomes")
