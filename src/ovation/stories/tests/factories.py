import factory

from ovation.directory.tests import factories as directory

from ..models import Story


# The directory's factories, with this app's defaults.
class IndustryFactory(directory.IndustryFactory):
    name = "Healthcare"


class AccountFactory(directory.AccountFactory):
    name = factory.Sequence(lambda n: f"Account {n}")
    industry = factory.SubFactory(IndustryFactory)


class ContactFactory(directory.ContactFactory):
    account = factory.SubFactory(AccountFactory)
    first_name = "Janey"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    email = factory.Sequence(lambda n: f"janey{n}@example.com")
    title = "CFO"


def approved_story(*, contact=None, channels=(("sales_email", None),), **fields):
    """A story the customer approved, usable in the given (channel, expires_on) pairs."""
    from ..services import story_approve, story_create, story_request_approval, usage_right_set

    contact = contact or ContactFactory()
    fields.setdefault("title", "Closed the books in 3 days")
    fields.setdefault("body", "Acme gave our finance team its evenings back.")
    story = story_create(contact=contact, **fields)
    story_request_approval(story=story)
    story_approve(
        story=story,
        contact=contact,
        text_hash=Story.text_hash(story.title, story.body, story.result),
    )
    for channel, expires_on in channels:
        usage_right_set(story=story, channel=channel, expires_on=expires_on)
    story.refresh_from_db()
    return story
