import factory

from ovation.directory.models import Account, Contact
from ovation.referrals.models import ReferralLink, ReferralProgram, ReferralRewardRule
from ovation.referrals.tracking import code_generate
from ovation.users.models import User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.test")
    status = Account.Status.ACTIVE


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Jane{n}")
    last_name = "Doe"
    email = factory.LazyAttributeSequence(lambda o, n: f"jane{n}@{o.account.domain}")
    stage = Contact.Stage.ADVOCATE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@acme.test")
    role = User.Role.MANAGER

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw-12345-xyz")
        if create:
            self.save(update_fields=["password"])


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralProgram
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    headline = "Get 3 months free"
    offer = "3 months free on an annual plan"
    body_markdown = "Acme makes **dashboards** easy."
    body_html = "<p>Acme makes <strong>dashboards</strong> easy.</p>"
    attribution_window_days = 90

    @factory.post_generation
    def rules(self, create, extracted, **kwargs):
        if not create:
            return
        specs = (
            extracted
            if extracted is not None
            else [
                ("qualified", "referrer", 500, ""),
                ("won", "referrer", 2000, "$100 gift card"),
                ("won", "friend", 0, "Code FRIEND20: 20% off the first year"),
            ]
        )
        for stage, recipient, points, note in specs:
            ReferralRewardRule.objects.create(
                program=self, stage=stage, recipient=recipient, points=points, note=note
            )


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralLink

    program = factory.SubFactory(ProgramFactory)
    contact = factory.SubFactory(ContactFactory)
    code = factory.LazyFunction(code_generate)
