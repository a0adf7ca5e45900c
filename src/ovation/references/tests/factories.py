"""Factories for references tests: a reference-ready contact (active account, consent given)."""

from datetime import timedelta

import factory
from django.utils import timezone

from ovation.directory.models import Account, Consent, Contact
from ovation.directory.tests import factories as directory
from ovation.users.models import User

from ..models import Opportunity, ReferenceRequest


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@acme.test")
    role = User.Role.SALES


# The directory's factories, with this app's defaults.
class IndustryFactory(directory.IndustryFactory):
    name = "Healthcare"


class RegionFactory(directory.RegionFactory):
    name = "EMEA"


class ProductFactory(directory.ProductFactory):
    name = "Dashboards"


class AccountFactory(directory.AccountFactory):
    name = factory.Sequence(lambda n: f"Customer {n}")
    industry = factory.SubFactory(IndustryFactory)
    region = factory.SubFactory(RegionFactory)
    country = "DE"
    employee_band = "201-1000"
    status = Account.Status.ACTIVE
    renewal_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))


class ContactFactory(directory.ContactFactory):
    class Meta:
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
