import factory
from django.utils import timezone

from ovation.directory.models import Account, Contact
from ovation.hub.models import Challenge, ChallengeQuestion, HubProfile, Submission
from ovation.users.models import User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    employee_band = "201-1000"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = "Lovelace"
    email = factory.Sequence(lambda n: f"ada{n}@customer.test")
    stage = Contact.Stage.ADVOCATE


class AdvocateFactory(ContactFactory):
    """A contact with an advocate user and a hub profile."""

    @factory.post_generation
    def user_link(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.user = User.objects.create_user(
            obj.email, role=User.Role.ADVOCATE, full_name=obj.full_name
        )
        obj.save(update_fields=["user"])
        HubProfile.objects.get_or_create(contact=obj, defaults={"invited_at": timezone.now()})


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"manager{n}@acme.test")
    full_name = "Morgan Manager"
    role = User.Role.MANAGER


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    title = factory.Sequence(lambda n: f"Challenge {n}")
    kind = Challenge.Kind.CUSTOM
    status = Challenge.Status.PUBLISHED
    points = 100
    approval_mode = Challenge.Approval.REVIEW
    proof_kind = Challenge.Proof.NONE


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChallengeQuestion

    challenge = factory.SubFactory(ChallengeFactory, kind=Challenge.Kind.QUIZ)
    prompt = factory.Sequence(lambda n: f"Question {n}?")
    options = ["Yes", "No", "Maybe"]
    correct_option = 0


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    challenge = factory.SubFactory(ChallengeFactory)
    contact = factory.SubFactory(AdvocateFactory)
    status = Submission.Status.PENDING
    slot = 1
