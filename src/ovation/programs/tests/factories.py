from datetime import timedelta

import factory
from django.utils import timezone

from ovation.directory.models import Contact
from ovation.directory.tests import factories as directory
from ovation.users.models import User

from ..models import Event, Idea, Program


# The directory's factories, with this app's defaults.
class IndustryFactory(directory.IndustryFactory):
    name = "Healthcare"


class RegionFactory(directory.RegionFactory):
    name = "EMEA"


class AccountFactory(directory.AccountFactory):
    name = factory.Sequence(lambda n: f"Account {n}")
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    employee_band = "201-1000"


class ContactFactory(directory.ContactFactory):
    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Alex{n}")
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    email = factory.Sequence(lambda n: f"alex{n}@customer.test")
    title = "Head of Data"
    stage = Contact.Stage.ADVOCATE


def advocate(**kwargs) -> Contact:
    """A contact with a hub login."""
    contact = ContactFactory(**kwargs)
    contact.user = User.objects.create_user(
        contact.email, role=User.Role.ADVOCATE, full_name=contact.full_name
    )
    contact.save(update_fields=["user"])
    return contact


def staff(role: str = User.Role.MANAGER, email: str | None = None) -> User:
    return User.objects.create_user(
        email or f"{role}{User.objects.count()}@acme.test",
        password="pw-ovation-123",
        role=role,
        full_name=f"{role.title()} Person",
    )


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    kind = Program.Kind.CAB
    approval_mode = Program.Approval.MANUAL


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Meeting {n}")
    kind = Event.Kind.CAB_SESSION
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    timezone = "Europe/Brussels"


class IdeaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Idea

    title = factory.Sequence(lambda n: f"Idea number {n}")
    author = factory.SubFactory(ContactFactory)
