"""Real threads against the real database (SQLite file or PostgreSQL): the same key posted
concurrently moves points once; concurrent debits never overdraw."""

import threading

import pytest
from django.db import connection

from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import (
    InsufficientPoints,
    balance_get,
    ledger_credit,
    ledger_debit,
    ledger_reconcile,
    ledger_reverse,
)


def run_concurrently(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n

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


@pytest.mark.django_db(transaction=True)
def test_same_key_submitted_concurrently_credits_once():
    contact = Contact.objects.create(email="twice@example.com")
    results = run_concurrently(
        12,
        lambda i: ledger_credit(
            contact=contact, points=250, idempotency_key="submission:7:approve"
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sorted(created for _, created in results) == [False] * 11 + [True]
    assert len({entry.pk for entry, _ in results}) == 1
    assert LedgerEntry.objects.count() == 1
    assert balance_get(contact=contact).spendable == 250
    assert balance_get(contact=contact).lifetime == 250


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw():
    contact = Contact.objects.create(email="spend@example.com")
    ledger_credit(contact=contact, points=1000, idempotency_key="seed")
    results = run_concurrently(
        30, lambda i: ledger_debit(contact=contact, points=100, idempotency_key=f"d{i}")
    )
    ok = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    assert (len(ok), len(refused)) == (10, 20)
    assert balance_get(contact=contact).spendable == 0
    assert ledger_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_reversals_refund_once():
    contact = Contact.objects.create(email="refund@example.com")
    ledger_credit(contact=contact, points=500, idempotency_key="seed")
    debit, _ = ledger_debit(contact=contact, points=200, idempotency_key="buy")
    results = run_concurrently(8, lambda i: ledger_reverse(entry=debit, reason="cancelled"))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert balance_get(contact=contact).spendable == 500
