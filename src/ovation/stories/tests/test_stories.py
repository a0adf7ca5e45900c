from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.core.errors import Conflict, ServiceError
from ovation.users.models import User

from ..models import Story, StoryUse
from ..search import StoryFilters, query_terms
from ..selectors import story_search, story_uses_this_quarter
from ..services import (
    story_approve,
    story_create,
    story_request_approval,
    story_update,
    story_use_record,
    story_withdraw,
    usage_right_set,
)
from .factories import ContactFactory, IndustryFactory, approved_story

pytestmark = pytest.mark.django_db


def titles(stories):
    return [s.title for s in stories]


def test_search_finds_a_healthcare_cfo_talking_about_roi_first():
    healthcare = IndustryFactory(name="Healthcare")
    retail = IndustryFactory(name="Retail")
    cfo = ContactFactory(
        title="CFO", account__industry=healthcare, account__name="St. Mary Hospital"
    )
    analyst = ContactFactory(title="Data Analyst", account__industry=retail, account__name="ShopCo")
    approved_story(
        contact=cfo, title="Proved ROI in the pilot", body="We saw a 40% ROI within a year."
    )
    approved_story(
        contact=analyst, title="Dashboards for stores", body="Store managers love the dashboards."
    )

    found = story_search("a healthcare CFO on ROI")

    assert titles(found) == ["Proved ROI in the pilot"]


def test_stemming_matches_other_word_forms():
    approved_story(
        title="Automating month-end reporting", body="Reports are generated automatically."
    )
    assert titles(story_search("report automation")) == ["Automating month-end reporting"]


def test_expired_usage_rights_hide_a_story_from_search():
    yesterday = timezone.localdate() - timedelta(days=1)
    approved_story(title="Expired quote", channels=(("web", yesterday),))
    approved_story(title="Live quote", channels=(("web", timezone.localdate()),))
    assert titles(story_search("quote")) == ["Live quote"]


def test_a_channel_filter_only_shows_stories_usable_in_that_channel():
    approved_story(title="Web only", channels=(("web", None),))
    approved_story(title="Deck only", channels=(("sales_deck", None),))
    assert titles(story_search("", StoryFilters(channel="sales_deck"))) == ["Deck only"]


def test_unapproved_and_withdrawn_stories_are_never_found():
    contact = ContactFactory()
    draft = story_create(contact=contact, title="Draft words", body="Not approved yet")
    usage_right_set(story=draft, channel="web", expires_on=None)
    withdrawn = approved_story(title="Withdrawn words")
    story_withdraw(story=withdrawn, contact=withdrawn.contact)
    assert story_search("words") == []


def test_editing_approved_words_sends_the_story_back_to_the_customer():
    story = approved_story(title="Original title")
    story_update(story=story, body="Words the customer never saw")
    story.refresh_from_db()
    assert story.status == Story.Status.PENDING
    assert story_search("customer never saw") == []


def test_approval_of_a_text_that_changed_meanwhile_is_refused():
    contact = ContactFactory()
    story = story_create(contact=contact, title="T", body="Version one")
    story_request_approval(story=story)
    seen = Story.text_hash(story.title, story.body, story.result)
    story_update(story=story, body="Version two")
    with pytest.raises(Conflict, match="text changed"):
        story_approve(story=story, contact=contact, text_hash=seen)
    story.refresh_from_db()
    assert story.status == Story.Status.PENDING


def test_only_the_hero_can_approve():
    story = story_create(contact=ContactFactory(), title="T", body="B")
    story_request_approval(story=story)
    with pytest.raises(ServiceError):
        story_approve(
            story=story, contact=ContactFactory(), text_hash=Story.text_hash("T", "B", "")
        )


def test_logging_a_use_counts_for_the_hero_and_needs_a_live_right():
    story = approved_story(channels=(("sales_email", None),))
    sales = User.objects.create_user("rep@acme.test", role=User.Role.SALES)
    story_use_record(story=story, channel="sales_email", actor=sales)
    with pytest.raises(Conflict, match="no live usage right for press"):
        story_use_record(story=story, channel="press", actor=sales)
    assert StoryUse.objects.count() == 1
    assert story_uses_this_quarter(contact=story.contact) == 1
    assert Activity.objects.filter(contact=story.contact, kind="story.used").count() == 1


def test_query_terms_drop_stopwords_but_keep_an_all_stopword_query():
    assert query_terms("a healthcare CFO on ROI") == ["healthcare", "cfo", "roi"]
    assert query_terms("the") == ["the"]
    assert query_terms('"; DROP TABLE x --') == ["drop", "table", "x"]


def test_search_page_shows_results_and_logs_a_copy(client, django_assert_max_num_queries):
    sales = User.objects.create_user("rep@acme.test", role=User.Role.SALES)
    client.force_login(sales)
    for i in range(5):
        approved_story(title=f"ROI story {i}", body="Strong ROI")
    with django_assert_max_num_queries(12):
        response = client.get("/stories/", {"q": "ROI"})
    assert response.status_code == 200
    assert response.content.count(b"Copy quote") == 5
    story = Story.objects.first()
    response = client.post(f"/stories/{story.pk}/use", {"channel": "sales_email"})
    assert response.status_code == 200
    assert StoryUse.objects.filter(story=story, used_by=sales).count() == 1


def test_advocates_cannot_search_stories_and_only_see_their_own_in_the_hub(client):
    mine = approved_story(title="My story")
    other = approved_story(title="Someone else's story")
    user = User.objects.create_user("hero@example.com", role=User.Role.ADVOCATE)
    mine.contact.user = user
    mine.contact.save(update_fields=["user"])
    client.force_login(user)
    assert client.get("/stories/").status_code == 403
    page = client.get("/hub/stories/")
    assert b"My story" in page.content and b"Someone else" not in page.content
    response = client.post(f"/hub/stories/{other.pk}/withdraw")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == Story.Status.APPROVED


def test_hero_approves_in_the_hub_and_sales_can_then_find_it(client):
    user = User.objects.create_user("hero@example.com", role=User.Role.ADVOCATE)
    contact = ContactFactory(user=user)
    story = story_create(contact=contact, title="Hub approved", body="Exact words")
    usage_right_set(story=story, channel="web", expires_on=None)
    story_request_approval(story=story)
    client.force_login(user)
    page = client.get("/hub/stories/")
    assert b"Approve this exact text" in page.content
    client.post(
        f"/hub/stories/{story.pk}/approve",
        {"text_hash": Story.text_hash("Hub approved", "Exact words", "")},
    )
    assert titles(story_search("exact words")) == ["Hub approved"]


def test_api_search_and_use(client):
    from ovation.users.services import api_token_create

    approved_story(title="API story", body="ROI everywhere")
    rep = User.objects.create_user("rep@acme.test", role=User.Role.SALES)
    _, raw = api_token_create(user=rep, scope="write")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    found = client.get("/api/v1/stories?q=roi", **auth).json()
    assert [s["title"] for s in found] == ["API story"]
    assert found[0]["rights"] == [{"channel": "sales_email", "expires_on": None}]
    response = client.post(
        f"/api/v1/stories/{found[0]['id']}/uses",
        {"channel": "press"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "channel", "message": "no live usage right for press"}
    ]
