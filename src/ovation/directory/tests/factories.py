"""factory_boy factories for the directory (and staff users of each role)."""

import factory
from django.utils import timezone

from ovation.directory.models import Account, Consent, Contact, Industry, Product, Region
from ovation.users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@acme.test")
    full_name = factory.Faker("name")
    role = User.Role.MANAGER

    @classmethod
    def _create(cls, model_class, *args, password: str = "pw-correct-horse-1", **kwargs):  # noqa: S107
        return model_class.objects.create_user(kwargs.pop("email"), password, **kwargs)


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Industry {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class RegionFactory(IndustryFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Region {n}")


class ProductFactory(IndustryFactory):
    class Meta:
        model = Product
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Product {n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n} Ltd")
    domain = factory.Sequence(lambda n: f"account{n}.test")
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    country = "BE"
    arr = 50000
    status = Account.Status.ACTIVE
    crm_id = factory.Sequence(lambda n: f"ACC-{n:05d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@customer.test")
    title = "Data Analyst"
    seniority = Contact.Seniority.IC
    stage = Contact.Stage.CUSTOMER


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    contact = factory.SubFactory(ContactFactory)
    purpose = Consent.Purpose.REFERENCE_CALLS
    is_granted = True
    source = Consent.Source.STAFF
    recorded_at = factory.LazyFunction(timezone.now)
