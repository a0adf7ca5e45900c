import pytest

from ovation.users.models import User

from .factories import UserFactory


@pytest.fixture
def staff(db):
    """A staff user per role: staff("manager"), staff("sales")..."""

    def make(role: str = User.Role.MANAGER, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def manager_client(client, staff):
    client.force_login(staff(User.Role.MANAGER))
    return client
