import factory

from ovation.directory.models import Account, Contact
from ovation.rewards.models import Reward
from ovation.users.models import User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = "Lovelace"
    email = factory.Sequence(lambda n: f"ada{n}@example.com")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@acme.test")
    role = User.Role.MANAGER
    full_name = factory.Sequence(lambda n: f"User {n}")


class AdvocateFactory(ContactFactory):
    """A contact who can sign in to the hub."""

    user = factory.SubFactory(
        UserFactory,
        role=User.Role.ADVOCATE,
        email=factory.SelfAttribute("..email"),
    )


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    name = factory.Sequence(lambda n: f"Reward {n}")
    kind = Reward.Kind.GIFT_CARD
    cost = 100
