import factory

from ovation.directory.models import Account, Contact, Industry

from ..models import Story


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    name = "Healthcare"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    industry = factory.SubFactory(IndustryFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

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
