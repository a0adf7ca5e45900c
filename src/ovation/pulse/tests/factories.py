import factory
from django.utils import timezone

from ovation.directory.models import Account, Contact, Industry, Region
from ovation.users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Staff {n}")
    role = User.Role.MANAGER
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Industry {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Region {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    employee_band = Account.EmployeeBand.S
    arr = 50000
    status = Account.Status.ACTIVE
    customer_since = factory.LazyFunction(lambda: timezone.localdate())


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.Sequence(lambda n: f"person{n}@customer.test")
