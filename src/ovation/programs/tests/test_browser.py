"""The community journey in a real browser: apply to the beta, get approved, RSVP to a CAB
meeting and download the calendar file, submit an idea, a peer votes, the manager ships it
and both advocates see "you said, we did"."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ovation.programs import services
from ovation.programs.models import Idea, Membership, Rsvp

from .factories import EventFactory, ProgramFactory, advocate, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _date_in(days: int, hour: int) -> datetime:
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Brussels"))


def test_beta_cab_ideas_journey(browser, live_server, browser_login, screenshot):
    manager = staff(email="manager@acme.test")
    nina = advocate(
        first_name="Nina",
        last_name="Patel",
        timezone="America/New_York",
        stage="champion",
        account__name="Globex",
    )
    omar = advocate(
        first_name="Omar", last_name="Haddad", timezone="Europe/Paris", account__name="Initech"
    )
    cab = ProgramFactory(
        name="Customer Advisory Board",
        kind="cab",
        capacity=12,
        tagline="Shape the roadmap with our CPO.",
    )
    services.membership_approve(
        membership=services.membership_apply(program=cab, contact=nina), actor=manager
    )
    beta = ProgramFactory(
        name="Forecast 2.0 Beta",
        kind="beta",
        capacity=20,
        tagline="Try the new forecasting engine first.",
        description="Early builds, a private channel with engineers, **fortnightly** calls.",
    )
    ProgramFactory(
        name="Acme Champions Club",
        kind="champions",
        eligible_stages=["champion"],
        tagline="Spotlight, swag and the annual summit.",
    )
    ProgramFactory(
        name="Data Leaders Council",
        kind="council",
        eligible_stages=["advocate"],
        tagline="Heads of data writing playbooks together.",
    )
    start = _date_in(10, 14)
    meeting = EventFactory(
        program=cab,
        title="CAB session: roadmap deep dive",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="Europe/Brussels",
        venue="Acme HQ",
        address="Rue de la Loi 42, Brussels",
        capacity=14,
        agenda="1. What we shipped\n2. **Your priorities**\n3. Dinner",
    )
    services.event_update(event=meeting, agenda=meeting.agenda)
    EventFactory(
        program=cab,
        title="CAB online check-in",
        starts_at=_date_in(40, 16),
        ends_at=_date_in(40, 17),
        virtual_url="https://meet.example.com/cab",
    )
    services.idea_create(contact=omar, title="Slack alerts when a KPI crosses a threshold")

    # 1. Nina (on her phone) applies to the beta.
    nina_page = browser.new_context(viewport=PHONE).new_page()
    browser_login(nina_page, nina.user)
    nina_page.goto(f"{live_server.url}/hub/programs/")
    expect(nina_page.get_by_role("heading", name="Your programs")).to_be_visible()
    screenshot("programs-hub-list", nina_page)
    nina_page.get_by_role("link", name="Forecast 2.0 Beta").click()
    nina_page.get_by_label("Why would you like to join? (optional)").fill(
        "We forecast 400 SKUs weekly."
    )
    nina_page.get_by_role("button", name="Apply to join").click()
    expect(nina_page.get_by_text("Thanks for applying!")).to_be_visible()
    assert Membership.objects.get(program=beta, contact=nina).status == "applied"

    # 2. The manager approves it.
    manager_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    browser_login(manager_page, manager)
    manager_page.goto(f"{live_server.url}/programs/{beta.pk}/")
    row = manager_page.locator("#pending tr[data-membership]")
    expect(row).to_contain_text("Nina Patel")
    screenshot("programs-staff-program", manager_page)
    row.get_by_role("button", name="Approve").click()
    expect(manager_page.get_by_text("Nina Patel is now a member.")).to_be_visible()
    nina_page.reload()
    expect(nina_page.get_by_role("heading", name="You're a member")).to_be_visible()

    # 3. Nina RSVPs to the CAB meeting and downloads the calendar file.
    nina_page.goto(f"{live_server.url}/hub/programs/events/{meeting.pk}/")
    expect(nina_page.get_by_test_id("event-when")).to_contain_text(
        "14:00 Brussels · 08:00 your time"
    )
    nina_page.get_by_role("button", name="Yes").click()
    expect(nina_page.get_by_test_id("rsvp-state")).to_have_text("✓ You're going.")
    assert Rsvp.objects.get(event=meeting, contact=nina).is_confirmed
    screenshot("programs-hub-event", nina_page)
    with nina_page.expect_download() as info:
        nina_page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = info.value
    assert download.suggested_filename == "cab-session-roadmap-deep-dive.ics"
    with open(download.path(), encoding="utf-8") as fh:
        ics = fh.read()
    assert f"DTSTART;TZID=Europe/Brussels:{start:%Y%m%d}T140000" in ics
    assert f"UID:ovation-event-{meeting.pk}@" in ics

    # 4. Nina submits an idea; Omar votes for it.
    nina_page.goto(f"{live_server.url}/hub/ideas/")
    nina_page.get_by_text("Share an idea").click()
    nina_page.get_by_label("Your idea").fill("Export dashboards to PDF for board packs")
    nina_page.get_by_label("Tell us more (the problem it solves)").fill(
        "We rebuild the board pack by hand."
    )
    nina_page.get_by_role("button", name="Submit idea").click()
    expect(nina_page.get_by_text("Your idea is up")).to_be_visible()
    idea = Idea.objects.get(title="Export dashboards to PDF for board packs")

    omar_page = browser.new_context(viewport=PHONE).new_page()
    browser_login(omar_page, omar.user)
    omar_page.goto(f"{live_server.url}/hub/ideas/")
    omar_page.get_by_role(
        "button", name="Vote for Export dashboards to PDF for board packs"
    ).click()
    expect(omar_page.locator(f'[data-vote-for="{idea.pk}"] [data-testid="votes"]')).to_have_text(
        "2"
    )
    idea.refresh_from_db()
    assert idea.vote_count == 2

    # 5. The manager ships it.
    manager_page.goto(f"{live_server.url}/programs/ideas/{idea.pk}/")
    manager_page.get_by_label("Status").select_option("shipped")
    manager_page.get_by_label("Public reason").fill(
        "PDF export is live for everyone in release 4.2."
    )
    manager_page.get_by_role("button", name="Update status").click()
    expect(manager_page.get_by_text("Shipped! 2 people who asked for it hear")).to_be_visible()

    # 6. Both advocates see "you said, we did".
    for page in (nina_page, omar_page):
        page.goto(f"{live_server.url}/hub/ideas/")
        notice = page.locator('[data-notice="you_said_we_did"]')
        expect(notice).to_have_count(1)
        expect(notice).to_contain_text("You said, we did: Export dashboards to PDF for board packs")
    nina_page.goto(f"{live_server.url}/hub/ideas/?view=roadmap")
    expect(nina_page.locator('[data-column="shipped"]')).to_contain_text("Export dashboards to PDF")
    screenshot("programs-hub-roadmap", nina_page)
    omar_page.goto(f"{live_server.url}/hub/ideas/")
    screenshot("programs-hub-ideas", omar_page)
