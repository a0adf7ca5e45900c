import pytest
from django.test import override_settings

from .factories import AccountFactory, ContactFactory, UserFactory
from .receiver import Receiver


@pytest.fixture
def allow_private():
    with override_settings(OVATION_WEBHOOKS_ALLOW_PRIVATE=True):
        yield


@pytest.fixture
def receiver(allow_private):
    with Receiver() as r:
        yield r


@pytest.fixture
def manager(db):
    return UserFactory(role="manager", email="manager@acme.test")


@pytest.fixture
def csm(db):
    return UserFactory(role="csm", email="csm@acme.test", full_name="Casey Csm")


@pytest.fixture
def contact(db, csm):
    account = AccountFactory(name="Globex", csm_owner=csm)
    return ContactFactory(
        account=account, first_name="Jane", last_name="Doe", email="jane@globex.test"
    )


@pytest.fixture
def make_contact(db):
    return ContactFactory
