import pytest
from playwright.sync_api import expect

from ovation.stories.models import Story, StoryUse
from ovation.users.models import User

from .factories import ContactFactory, IndustryFactory, approved_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sales_rep_finds_a_healthcare_cfo_quote_and_copies_it(
    page, live_server, browser_login, screenshot
):
    healthcare = IndustryFactory(name="Healthcare")
    cfo = ContactFactory(
        first_name="Janey",
        last_name="Hart",
        title="CFO",
        account__industry=healthcare,
        account__name="St. Mary Hospital",
    )
    approved_story(
        contact=cfo,
        title="ROI in the first quarter",
        body="We saw the ROI before the first renewal.",
        result="paid back in 4 months",
    )
    approved_story(title="Stores love dashboards", body="Store managers finally trust the numbers.")
    rep = User.objects.create_user("rep@acme.test", role=User.Role.SALES, full_name="Sam Sales")
    browser_login(page, rep)

    page.goto(f"{live_server.url}/stories/")
    page.get_by_label("Search stories").fill("healthcare CFO on ROI")
    page.get_by_role("button", name="Search").click()
    card = page.locator("article.story-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Janey Hart, CFO, St. Mary Hospital")
    screenshot("stories-search")
    card.get_by_role("button", name="Copy quote").click()
    expect(card).to_contain_text("Use logged")
    assert StoryUse.objects.filter(story__contact=cfo, used_by=rep).count() == 1


def test_hero_approves_their_story_in_the_hub_on_a_phone(
    browser, live_server, browser_login, screenshot
):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    user = User.objects.create_user("janey@hospital.org", role=User.Role.ADVOCATE)
    contact = ContactFactory(user=user, first_name="Janey", title="CFO")
    from ovation.stories.services import story_create, story_request_approval

    story = story_create(
        contact=contact, title="Closing in 3 days", body="Our close went from 10 days to 3."
    )
    story_request_approval(story=story)
    browser_login(page, user)
    page.goto(f"{live_server.url}/hub/stories/")
    expect(page.get_by_text("Waiting for your approval")).to_be_visible()
    screenshot("hub-stories-phone", page)
    page.get_by_role("button", name="Approve this exact text").click()
    expect(page.get_by_text("Your story is approved exactly as shown")).to_be_visible()
    story.refresh_from_db()
    assert story.status == Story.Status.APPROVED
