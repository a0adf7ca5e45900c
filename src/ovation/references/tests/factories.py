"""Factories for references tests: a reference-ready contact (active account, consent given)."""

from datetime import timedelta

import factory
from django.utils import timezone

from ovation.directory.models import Account, Consent, Contact, Industry, Product, Region
from ovation.users.models import User

from ..models import Opportunity, ReferenceRequest


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@acme.test")
    role = User.Role.SALES


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    name = "Healthcare"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("slug",)

    name = "EMEA"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("slug",)

    name = "Dashboards"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    country = "DE"
    employee_band = "201-1000"
    status = Account.Status.ACTIVE
    renewal_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = factory.Sequence(lambda n: f"Lovelace{n}")
    email = factory.Sequence(lambda n: f"contact{n}@customer.test")
    seniority = Contact.Seniority.DIRECTOR
    timezone = "Europe/Berlin"
    stage = Contact.Stage.ADVOCATE

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        purposes = ["reference_calls", "case_study"] if extracted is None else extracted
        for purpose in purposes:
            Consent.objects.create(
                contact=obj,
                purpose=purpose,
                is_granted=True,
                source=Consent.Source.STAFF,
                recorded_at=timezone.now() - timedelta(days=10),
            )


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Prospect deal {n}")
    crm_id = factory.Sequence(lambda n: f"OPP-{n:05d}")
    amount = 50000


class RequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceRequest

    requester = factory.SubFactory(UserFactory)
    opportunity = factory.SubFactory(OpportunityFactory)
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    country = "DE"
    employee_band = "201-1000"
    activity_type = "call"
    submitted_at = factory.LazyFunction(timezone.now)
    use_case = ""
