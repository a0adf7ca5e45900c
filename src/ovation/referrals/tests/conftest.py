import pytest

from ovation.referrals import selectors, views_public

from .factories import ContactFactory, LinkFactory, ProgramFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    selectors.link_cache_clear()
    views_public._RECENT.clear()
    yield
    selectors.link_cache_clear()
    views_public._RECENT.clear()


@pytest.fixture
def program(db):
    return ProgramFactory(slug="customers", name="Customers refer a peer")


@pytest.fixture
def referrer(db):
    return ContactFactory(
        first_name="Janey",
        last_name="Smith",
        email="janey@acme-corp.test",
        account__name="Acme Corp",
        account__domain="acme-corp.test",
    )


@pytest.fixture
def link(program, referrer):
    return LinkFactory(program=program, contact=referrer)


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@ovation.test")
