import pytest

from ovation.core.errors import IdempotencyMismatch
from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import (
    InsufficientPoints,
    balance_get,
    ledger_credit,
    ledger_debit,
    ledger_post,
    ledger_reconcile,
    ledger_reverse,
)


@pytest.fixture
def contact(db):
    return Contact.objects.create(email="janey@example.com", first_name="Janey")


def test_credit_then_debit_moves_spendable_and_lifetime_apart(contact):
    ledger_credit(contact=contact, points=300, idempotency_key="a")
    ledger_debit(contact=contact, points=120, idempotency_key="b")
    assert balance_get(contact=contact).spendable == 180
    assert balance_get(contact=contact).lifetime == 300
    assert ledger_reconcile() == []


def test_same_key_credits_once(contact):
    first, created = ledger_credit(
        contact=contact, points=50, idempotency_key="submission:1:approve"
    )
    again, created_again = ledger_credit(
        contact=contact, points=50, idempotency_key="submission:1:approve"
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert balance_get(contact=contact).spendable == 50


def test_same_key_different_body_is_refused(contact):
    ledger_post(
        contact=contact,
        amount=10,
        kind="adjust",
        idempotency_key="k",
        fingerprint="one",
        reason="x",
    )
    with pytest.raises(IdempotencyMismatch):
        ledger_post(
            contact=contact,
            amount=20,
            kind="adjust",
            idempotency_key="k",
            fingerprint="two",
            reason="x",
        )
    assert LedgerEntry.objects.count() == 1


def test_debit_beyond_balance_writes_nothing(contact):
    ledger_credit(contact=contact, points=100, idempotency_key="a")
    with pytest.raises(InsufficientPoints):
        ledger_debit(contact=contact, points=101, idempotency_key="b")
    assert balance_get(contact=contact).spendable == 100
    assert LedgerEntry.objects.count() == 1


def test_reversing_a_redemption_refunds_without_touching_lifetime(contact):
    ledger_credit(contact=contact, points=100, idempotency_key="a")
    redemption, _ = ledger_debit(contact=contact, points=60, idempotency_key="b")
    ledger_reverse(entry=redemption, reason="cancelled")
    ledger_reverse(entry=redemption, reason="cancelled twice")
    assert balance_get(contact=contact) == balance_get(contact=contact).__class__(100, 100)


def test_clawback_takes_back_what_is_left_and_lowers_lifetime(contact):
    award, _ = ledger_credit(contact=contact, points=500, idempotency_key="a")
    ledger_debit(contact=contact, points=400, idempotency_key="b")
    ledger_reverse(entry=award, reason="referral disqualified")
    balance = balance_get(contact=contact)
    assert (balance.spendable, balance.lifetime) == (0, 0)
    assert ledger_reconcile() == []
