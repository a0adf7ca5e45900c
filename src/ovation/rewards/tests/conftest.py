import threading

import pytest
from django.db import connection

from ovation.ledger.services import ledger_credit

from .factories import AdvocateFactory, ContactFactory, RewardFactory, UserFactory


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@acme.test", role="manager")


@pytest.fixture
def advocate(db):
    contact = AdvocateFactory(email="ada@example.com", first_name="Ada")
    ledger_credit(contact=contact, points=1000, idempotency_key=f"seed:{contact.pk}")
    return contact


@pytest.fixture
def reward(db):
    return RewardFactory(name="$25 gift card", cost=100)


@pytest.fixture
def funded_contact(db):
    def make(points=1000, **kwargs):
        contact = ContactFactory(**kwargs)
        if points:
            ledger_credit(contact=contact, points=points, idempotency_key=f"seed:{contact.pk}")
        return contact

    return make


def run_concurrently(n: int, fn):
    """Run fn(i) in n real threads released together; returns the results (or exceptions)
    in order. Each thread closes its own database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def work(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results
