"""The advocate journey in real Chromium, on a desktop and a phone: a manager invites a contact,
the advocate signs in with the emailed code, completes a quiz and a URL-proof challenge, the
manager approves, and points, level and badge appear in the hub.

To extend the journey (e.g. reward redemption), call `run_hub_journey(...)`: it returns a
`HubJourney` with both pages still signed in and the objects created, so the next steps can
continue from there:

    def test_advocate_redeems_a_reward(browser, live_server, screenshot, settings, tmp_path):
        journey = run_hub_journey(browser, live_server, screenshot, settings, tmp_path, viewport=DESKTOP)
        journey.advocate_page.goto(f"{live_server.url}/hub/rewards/")   # next steps here
        ...
"""

import re
from dataclasses import dataclass

import pytest
from django.core import mail

from ovation.directory.models import Account, Contact
from ovation.hub.models import Challenge, ChallengeQuestion
from ovation.hub.services import hub_defaults_ensure
from ovation.ledger.services import balance_get
from ovation.users.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
QUIZ_POINTS = 100
REVIEW_POINTS = 200  # 300 in total: past "Insider" (250)


@dataclass
class HubJourney:
    """Where `run_hub_journey` leaves things: both people signed in, the advocate with
    QUIZ_POINTS + REVIEW_POINTS points, level Insider and the First steps badge."""

    manager_page: object
    advocate_page: object
    manager: User
    contact: Contact
    quiz: Challenge
    review: Challenge
    base_url: str


def _seed():
    hub_defaults_ensure()
    manager = User.objects.create_user(
        "manager@acme.test", "ovation-demo-pw", role=User.Role.MANAGER, full_name="Morgan Manager"
    )
    account = Account.objects.create(name="Northwind Traders", employee_band="201-1000")
    contact = Contact.objects.create(
        account=account,
        first_name="Lea",
        last_name="Peeters",
        email="lea@northwind.test",
        title="Head of Data",
        stage=Contact.Stage.ADVOCATE,
    )
    quiz = Challenge.objects.create(
        title="Acme trivia",
        kind=Challenge.Kind.QUIZ,
        status=Challenge.Status.PUBLISHED,
        summary="Two quick questions",
        points=QUIZ_POINTS,
        approval_mode=Challenge.Approval.AUTO,
        effort_minutes=2,
        motivators=["mastery"],
    )
    ChallengeQuestion.objects.create(
        challenge=quiz,
        position=0,
        prompt="Which product builds pipelines?",
        options=["Acme Dashboards", "Acme Pipelines"],
        correct_option=1,
    )
    ChallengeQuestion.objects.create(
        challenge=quiz,
        position=1,
        prompt="Name the metric: customers who leave",
        answer_text="churn",
    )
    review = Challenge.objects.create(
        title="Review Acme on G2",
        kind=Challenge.Kind.REVIEW,
        status=Challenge.Status.PUBLISHED,
        summary="Share an honest review with peers",
        body_html="<p>Peers trust peers. Write a short, <strong>honest</strong> review.</p>",
        points=REVIEW_POINTS,
        approval_mode=Challenge.Approval.REVIEW,
        proof_kind=Challenge.Proof.URL,
        action_url="https://www.g2.com/products/acme/take_survey",
        action_label="Write on G2",
        disclosure_text="I received points for this review. My opinions are my own.",
        effort_minutes=15,
        motivators=["spotlight", "purpose"],
        is_featured=True,
    )
    return manager, contact, quiz, review


def _staff_login(page, base_url):
    page.goto(f"{base_url}/auth/login/")
    page.fill("input[name=login]", "manager@acme.test")
    page.fill("input[name=password]", "ovation-demo-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/**")


def _latest_code(email: str) -> str:
    message = [m for m in mail.outbox if m.to == [email]][-1]
    return re.search(r"\b(\d{4} \d{4})\b", message.body).group(1)


def run_hub_journey(browser, live_server, screenshot, settings, tmp_path, *, viewport, tag=""):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OVATION_BASE_URL = live_server.url
    base = live_server.url
    manager, contact, quiz, review = _seed()

    manager_page = browser.new_context(viewport=DESKTOP).new_page()
    advocate_page = browser.new_context(viewport=viewport).new_page()

    # 1. The manager invites the contact with a personal welcome.
    _staff_login(manager_page, base)
    manager_page.goto(f"{base}/hub-admin/invite/")
    manager_page.fill("textarea[name=emails]", contact.email)
    manager_page.fill(
        "textarea[name=message]", "Lea, your dashboards talk inspired the whole team!"
    )
    manager_page.click("[data-testid=invite-single]")
    manager_page.wait_for_selector("text=Invited 1 advocate")
    invitation = [m for m in mail.outbox if m.to == [contact.email]][-1]
    assert "Lea, your dashboards talk inspired the whole team!" in invitation.body
    link = re.search(r"(/hub/login/\?email=\S+)", invitation.body).group(1)

    # 2. The advocate follows the invitation, asks for a code and signs in with it.
    advocate_page.goto(base + link)
    screenshot(f"hub-login{tag}", advocate_page)
    advocate_page.click("button[type=submit]")
    advocate_page.wait_for_url(f"{base}/hub/login/code/")
    advocate_page.fill("input[name=code]", _latest_code(contact.email))
    advocate_page.click("button[type=submit]")
    advocate_page.wait_for_url(f"{base}/hub/")
    assert advocate_page.locator("[data-testid=spendable]").first.inner_text() == "0"
    assert "Lea, your dashboards talk inspired the whole team!" in advocate_page.content()

    # 3. The quiz: scored at once, points added.
    advocate_page.click(f"a[data-challenge='{quiz.pk}']")
    q1, q2 = list(quiz.questions.order_by("position"))
    advocate_page.check(f"input[name=q_{q1.pk}][value='1']")
    advocate_page.fill(f"input[name=q_{q2.pk}]", "Churn")
    screenshot(f"hub-quiz{tag}", advocate_page)
    advocate_page.click("#complete button[type=submit]")
    advocate_page.wait_for_selector(f"text=Done! +{QUIZ_POINTS} points.")

    # 4. The URL-proof review challenge: goes to the review queue.
    advocate_page.goto(f"{base}/hub/challenges/{review.pk}/")
    assert advocate_page.locator("[data-testid=disclosure]").is_visible()
    advocate_page.fill("input[name=proof_url]", "https://www.g2.com/products/acme/reviews/lea-123")
    screenshot(f"hub-challenge{tag}", advocate_page)
    advocate_page.click("#complete button[type=submit]")
    advocate_page.wait_for_selector("text=with the team for review")
    assert balance_get(contact=contact).spendable == QUIZ_POINTS

    # 5. The manager approves it from the review queue.
    manager_page.goto(f"{base}/hub-admin/review/")
    manager_page.wait_for_selector(f"text={contact.full_name}")
    screenshot(f"hub-review-queue{tag}", manager_page)
    manager_page.click("[data-testid=review-link]")
    manager_page.click("[data-testid=approve]")
    manager_page.wait_for_selector(f"text=Approved: +{REVIEW_POINTS} points")

    # 6. Points, level and the new badge appear in the hub (the banner once).
    advocate_page.goto(f"{base}/hub/")
    total = QUIZ_POINTS + REVIEW_POINTS
    assert advocate_page.locator("[data-testid=spendable]").first.inner_text() == str(total)
    assert advocate_page.locator("[data-testid=level]").first.inner_text() == "Insider"
    banners = advocate_page.locator("[data-testid=badge-earned] strong").all_inner_texts()
    assert banners == ["New badge: First steps", "New badge: Reviewer"]
    assert advocate_page.locator("[data-testid=level-up]").is_visible()
    screenshot(f"hub-home{tag}", advocate_page)
    advocate_page.reload()
    assert advocate_page.locator("[data-testid=badge-earned]").count() == 0

    advocate_page.goto(f"{base}/hub/profile/")
    assert advocate_page.locator("[data-earned=first-steps]").is_visible()
    screenshot(f"hub-profile{tag}", advocate_page)
    advocate_page.goto(f"{base}/hub/leaderboard/")
    assert "(you)" in advocate_page.locator("[data-testid=leaderboard]").inner_text()
    screenshot(f"hub-leaderboard{tag}", advocate_page)
    advocate_page.goto(f"{base}/hub/challenges/")
    screenshot(f"hub-challenges{tag}", advocate_page)
    return HubJourney(manager_page, advocate_page, manager, contact, quiz, review, base)


def test_invite_login_complete_approve_desktop(
    browser, live_server, screenshot, settings, tmp_path
):
    journey = run_hub_journey(
        browser, live_server, screenshot, settings, tmp_path, viewport=DESKTOP
    )
    page = journey.manager_page
    # The challenge builder with its live preview.
    page.goto(f"{journey.base_url}/hub-admin/challenges/{journey.review.pk}/")
    page.fill("input[name=title]", "Review Acme on G2 (spring push)")
    page.wait_for_selector("#preview >> text=Review Acme on G2 (spring push)")
    screenshot("hub-builder", page)
    page.goto(f"{journey.base_url}/hub-admin/")
    screenshot("hub-staff-home", page)


def test_invite_login_complete_approve_phone(browser, live_server, screenshot, settings, tmp_path):
    journey = run_hub_journey(
        browser, live_server, screenshot, settings, tmp_path, viewport=PHONE, tag="-phone"
    )
    width = journey.advocate_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the hub scrolls sideways on a phone ({width}px)"
