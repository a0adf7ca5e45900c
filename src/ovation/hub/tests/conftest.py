import pytest

from ovation.hub.services import hub_defaults_ensure

from .factories import AdvocateFactory, ChallengeFactory, StaffFactory


@pytest.fixture
def defaults(db):
    hub_defaults_ensure()


@pytest.fixture
def advocate(db):
    return AdvocateFactory()


@pytest.fixture
def other_advocate(db):
    return AdvocateFactory()


@pytest.fixture
def manager(db):
    return StaffFactory()


@pytest.fixture
def advocate_client(client, advocate):
    client.force_login(advocate.user)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def challenge(db):
    return ChallengeFactory()
