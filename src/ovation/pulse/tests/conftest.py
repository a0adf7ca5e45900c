import pytest

from .factories import AccountFactory, ContactFactory, UserFactory


@pytest.fixture
def manager(db):
    return UserFactory(role="manager", email="manager@example.test")


@pytest.fixture
def csm(db):
    return UserFactory(role="csm", email="csm@example.test", full_name="Casey Csm")


@pytest.fixture
def account(csm):
    return AccountFactory(csm_owner=csm)


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, first_name="Janey", last_name="Doe")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (tasks run immediately in tests), recursively."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner
