"""In a real browser: a contact answers the emailed survey (9 + a reason) and the manager's
dashboard and the contact's stage reflect it; a detractor reaches the CSM's follow-ups.
Screenshots: the dashboard and the survey page (desktop and phone)."""

import random
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.pulse import recompute, services
from ovation.pulse.models import Response
from ovation.pulse.tests.factories import (
    AccountFactory,
    ContactFactory,
    IndustryFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _login(page, base, email, next_url="/pulse/"):
    page.goto(f"{base}/auth/login/?next={next_url}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "pw-123456")
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def _link(email, score):
    message = next(m for m in mail.outbox if m.to == [email])
    return re.search(rf"(http://\S+/s/[\w-]+\?score={score})\b", message.body).group(1)


def test_contact_answers_the_emailed_survey_and_the_dashboard_and_follow_ups_show_it(
    page, live_server, screenshot, settings
):
    settings.OVATION_BASE_URL = live_server.url
    manager = UserFactory(role="manager", email="manager@acme.test", full_name="Morgan Manager")
    csm = UserFactory(role="csm", email="csm@acme.test", full_name="Casey Success")
    account = AccountFactory(name="Globex", csm_owner=csm)
    janey = ContactFactory(account=account, first_name="Janey", last_name="Smith")
    dan = ContactFactory(account=account, first_name="Dan", last_name="Grumpy")
    # Janey spoke at a webinar last month: answering 9 makes her an advocate.
    activity_record(
        kind="event.attended",
        contact=janey,
        source="test",
        occurred_at=timezone.now() - timedelta(days=20),
    )
    mail.outbox.clear()
    services.campaign_create(actor=manager, name="Relationship NPS", send_now=True)
    assert len(mail.outbox) == 2

    # Janey clicks "9" in the email, then writes a reason on a phone.
    page.set_viewport_size(PHONE)
    page.goto(_link(janey.email, 9))
    page.get_by_text("we recorded your score of 9").wait_for()
    screenshot("pulse-survey-phone")
    page.fill("textarea[name=reason]", "The forecasting module saves us days every month.")
    page.fill("textarea[name=improvement]", "A customer community to meet peers.")
    page.click("button[type=submit]")
    page.get_by_text("Thank you, Janey!").wait_for()
    screenshot("pulse-survey-thanks-phone")
    response = Response.objects.get(contact=janey)
    assert (response.score, response.reason) == (
        9,
        "The forecasting module saves us days every month.",
    )
    janey.refresh_from_db()
    assert janey.stage == "advocate"

    # Dan answers 3 on a desktop.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(_link(dan.email, 3))
    screenshot("pulse-survey-desktop")
    page.fill("textarea[name=improvement]", "Too expensive since the renewal, and support is slow.")
    page.click("button[type=submit]")
    page.get_by_text("Thank you, Dan!").wait_for()

    # The manager's dashboard: 2 answers, NPS 0, half the customer contacts are advocates.
    _login(page, live_server.url, manager.email)
    page.goto(f"{live_server.url}/pulse/")
    assert page.locator("[data-testid=advocacy-rate] .value").inner_text() == "50.0%"
    assert page.locator("[data-testid=account-advocacy-rate] .value").inner_text() == "100.0%"
    nps_tile = page.locator("[data-testid=nps]")
    assert nps_tile.locator(".value").inner_text().startswith("0")
    assert "2 responses" in nps_tile.inner_text()
    assert "Pricing & value" in page.inner_text("main")

    # The CSM sees Dan's answer in their follow-ups and records what they did.
    page.context.clear_cookies()
    _login(page, live_server.url, csm.email, "/pulse/follow-ups/")
    row = page.locator("[data-testid=follow-up]")
    assert row.count() == 1
    assert "Dan Grumpy" in row.inner_text()
    assert "Too expensive since the renewal" in row.inner_text()
    row.locator("select[name=status]").select_option("in_progress")
    row.locator("textarea[name=note]").fill("Called Dan; pricing review on Friday.")
    row.locator("button[type=submit]").click()
    page.locator("[data-testid=follow-up] .badge.ok").wait_for()
    screenshot("pulse-follow-ups")
    follow_up = dan.nps_follow_ups.get()
    assert (follow_up.status, follow_up.note) == (
        "in_progress",
        "Called Dan; pricing review on Friday.",
    )
    assert any(m.to == [csm.email] for m in mail.outbox)


def _history(n_contacts=60):
    """A year and a half of answers across segments, for a dashboard worth looking at."""
    rng = random.Random(3)
    csm = UserFactory(role="csm", full_name="Casey Success")
    industries = [IndustryFactory(name=n) for n in ("Healthcare", "Retail", "Software")]
    regions = [RegionFactory(name=n) for n in ("EMEA", "North America", "APAC")]
    accounts = [
        AccountFactory(
            industry=rng.choice(industries),
            region=rng.choice(regions),
            arr=rng.choice([12_000, 60_000, 140_000, 300_000]),
            csm_owner=csm,
        )
        for _ in range(15)
    ]
    now = timezone.now()
    barriers = [
        "Pricing is too expensive for smaller teams.",
        "Support tickets take days.",
        "Dashboards are slow with big datasets.",
        "Missing a Salesforce integration.",
        "Company policy does not allow endorsements.",
    ]
    for i in range(n_contacts):
        contact = ContactFactory(account=rng.choice(accounts))
        for k in range(3):
            when = now - timedelta(days=rng.uniform(0, 530))
            score = max(0, min(10, round(rng.gauss(7.6 + (k * 0.3), 2.0))))
            Response.objects.create(
                contact=contact,
                account=contact.account,
                score=score,
                reason="",
                improvement=rng.choice(barriers) if score <= 8 and rng.random() < 0.6 else "",
                answered_at=when,
                source="demo",
                external_id=f"shot-{i}-{k}",
            )
        if i % 3 == 0:
            activity_record(
                kind="review.written",
                contact=contact,
                source="test",
                occurred_at=now - timedelta(days=rng.uniform(0, 150)),
                publish=False,
            )
    recompute.run(publish_events=False)


def test_dashboard_screenshots(page, live_server, screenshot):
    manager = UserFactory(role="manager", email="boss@acme.test")
    _history()
    _login(page, live_server.url, manager.email)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{live_server.url}/pulse/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('nps-chart'))"
    )
    page.wait_for_timeout(600)
    screenshot("pulse-dashboard")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)
    screenshot("pulse-dashboard-phone")
    page.goto(f"{live_server.url}/pulse/themes/")
    screenshot("pulse-themes")
