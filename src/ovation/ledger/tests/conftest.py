import pytest

from ovation.directory.models import Contact
from ovation.users.models import User
from ovation.users.services import api_token_create


@pytest.fixture
def manager(db):
    return User.objects.create_user("manager@acme.test", role=User.Role.MANAGER, full_name="Morgan")


@pytest.fixture
def contact(db):
    return Contact.objects.create(email="janey@example.com", first_name="Janey", last_name="Doe")


@pytest.fixture
def token_for(db):
    def make(user, scope="write"):
        _, raw = api_token_create(user=user, scope=scope)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make
