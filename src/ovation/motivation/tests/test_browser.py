"""Browser journeys: the advocate's "For you" page and the manager's campaign builder."""

import pytest
from django.utils import timezone

from ovation.hub.models import Challenge, MotivationAnswer
from ovation.motivation import services
from ovation.motivation.models import Campaign, Prediction
from ovation.references.budget import Ask, ask_record
from ovation.users.models import User

from .factories import AdvocateFactory, ChallengeFactory, StaffFactory, past_asks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_declined_speaking_and_accepted_feedback_sees_feedback_first(
    page, live_server, browser_login, screenshot
):
    services.ask_types_ensure()
    c = AdvocateFactory(first_name="Priya", last_name="Natarajan", title="Ops lead")
    past_asks(c, kind="speaking", outcome="declined", n=2, title="Speak at the spring summit")
    past_asks(c, kind="feedback", outcome="accepted", n=3, title="Roadmap survey")
    services.profile_refresh(contact=c)
    ChallengeFactory(
        kind=Challenge.Kind.SPEAKING, title="Speak at Acme Summit 2026", points=300,
        summary="A 20-minute talk on how your team uses Acme", effort_minutes=240,
    )  # fmt: skip
    ChallengeFactory(
        kind=Challenge.Kind.FEEDBACK, title="Rate the new reporting dashboards", points=120,
        summary="Five questions, straight to the product team", effort_minutes=15,
    )  # fmt: skip
    ChallengeFactory(
        kind=Challenge.Kind.FEEDBACK, title="Tell us what to build next", points=80,
        summary="Vote and comment on the roadmap", effort_minutes=5,
    )  # fmt: skip
    ChallengeFactory(kind=Challenge.Kind.QUIZ, title="Reporting pro quiz", points=30)
    ChallengeFactory(kind=Challenge.Kind.SOCIAL_SHARE, title="Share our 2026 report", points=20)

    browser_login(page, c.user)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/hub/for-you/")
    cards = page.locator("[data-testid=recommended] [data-testid=rec]")
    assert cards.count() == 3
    kinds = [cards.nth(i).get_attribute("data-ask-type") for i in range(2)]
    assert kinds == ["challenge.feedback", "challenge.feedback"]
    first = cards.nth(0).inner_text()
    assert "You enjoy giving product input: accepted 3 of 3 product feedback / survey asks" in first
    order = page.locator("[data-ask-type]").evaluate_all(
        "els => els.map(e => e.getAttribute('data-ask-type'))"
    )
    assert order.index("challenge.feedback") < order.index("challenge.speaking")
    screenshot("motivation-hub-for-you")

    # "Not for me" on the first pick: it goes, and the model learns.
    title = cards.nth(0).locator("h3").inner_text()
    cards.nth(0).get_by_role("button", name="Not for me").click()
    page.wait_for_url("**/hub/for-you/")
    assert f"suggest “{title}” again" in page.locator(".messages").inner_text()
    assert title not in page.locator("[data-testid=recommended]").inner_text()
    assert Prediction.objects.get(contact=c, outcome="declined").target_label == title

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/hub/for-you/")
    screenshot("motivation-hub-for-you-mobile")


def test_manager_campaign_builder_ranks_and_invites_within_budget(
    page, live_server, browser_login, screenshot
):
    services.ask_types_ensure()
    manager = StaffFactory(role=User.Role.MANAGER, email="manager@acme.test")
    names = ["Amara Okafor", "Lukas Becker", "Sofia Rossi", "Chen Wei", "Noah Smith", "Emma Dubois"]
    people = []
    for i, name in enumerate(names):
        first, last = name.split()
        c = AdvocateFactory(first_name=first, last_name=last, title="Director of Ops")
        MotivationAnswer.objects.create(contact=c, topic="speaking", rating=4 if i < 4 else 1)
        people.append(c)
    past_asks(people[2], kind="speaking", outcome="accepted", n=2)
    services.profiles_rebuild()
    busy = people[0]
    ask_record(contact=busy, activity_type="call", channel="reference", note="Reference call")

    browser_login(page, manager)
    page.set_viewport_size({"width": 1300, "height": 900})
    page.goto(f"{live_server.url}/motivation/campaigns/")
    page.select_option("#id_ask_type", "speaking.slot")
    page.fill("#id_size", "3")
    page.click("#rank-btn")
    ranked = page.locator("[data-testid=ranked] tbody tr")
    assert ranked.count() == 3
    assert ranked.nth(0).inner_text().startswith("1\tSofia Rossi")  # said yes to speaking before
    excluded = page.locator("[data-testid=excluded] tbody tr")
    assert excluded.count() == 1
    assert "Amara Okafor" in excluded.nth(0).inner_text()
    assert (
        "since the last ask" in excluded.nth(0).inner_text()
        or "days" in excluded.nth(0).inner_text()
    )
    screenshot("motivation-campaign-builder")

    page.fill("#id_name", "Speakers for our user conference")
    page.click("#invite-btn")
    page.wait_for_url("**/motivation/campaigns/*/")
    assert "Invited 3 advocates within the ask budget" in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=invitees] tbody tr").count() == 3
    campaign = Campaign.objects.get()
    invited = set(Ask.objects.filter(source_type="campaign").values_list("contact_id", flat=True))
    assert busy.pk not in invited and len(invited) == 3
    assert Ask.objects.filter(contact=busy).count() == 1
    screenshot("motivation-campaign-detail")

    # The speaker said yes by email: the manager records it; the profile learns.
    page.locator("[data-testid=invitees] tbody tr").nth(0).get_by_role(
        "button", name="Said yes"
    ).click()
    page.wait_for_url(f"**/motivation/campaigns/{campaign.pk}/")
    assert Prediction.objects.filter(campaign=campaign, outcome="accepted").count() == 1

    page.goto(f"{live_server.url}/motivation/contacts/{people[2].pk}/")
    page.wait_for_timeout(300)
    assert "accepted 2 speaking slot asks" in page.inner_text("body")
    screenshot("motivation-contact-profile")

    for i, c in enumerate(people):
        Prediction.objects.create(
            contact=c, ask_type="challenge.feedback", context="hub",
            probability=0.1 + 0.15 * i, outcome="accepted" if i % 2 else "declined",
            responded_at=timezone.now(),
        )  # fmt: skip
    page.goto(f"{live_server.url}/motivation/calibration/")
    page.wait_for_timeout(300)
    screenshot("motivation-calibration")
    page.goto(f"{live_server.url}/motivation/settings/")
    screenshot("motivation-settings")
