"""Property tests of the ledger's invariants: for any sequence of credits, debits,
adjustments, reversals and replays, the cached balance equals the sum of the entries,
spendable points never go negative, spending never lowers lifetime points, and
`ledger_reconcile` finds nothing."""

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ovation.core.errors import ServiceError
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

points = st.integers(min_value=1, max_value=500)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), points),
        st.tuples(st.just("debit"), points),
        st.tuples(st.just("adjust"), st.integers(min_value=-300, max_value=300).filter(bool)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("replay"), st.integers(min_value=0, max_value=40)),
    ),
    max_size=30,
)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_ledger_invariants_hold_for_any_sequence(ops):
    try:
        with transaction.atomic():
            _check(ops)
            raise _Rollback
    except _Rollback:
        pass


def _sums(contact):
    agg = LedgerEntry.objects.filter(contact=contact).aggregate(
        s=Sum("amount"), l=Sum("lifetime_delta")
    )
    return agg["s"] or 0, agg["l"] or 0


def _check(ops):
    contact = Contact.objects.create(email="prop@example.com")
    keys: list[tuple[str, str, int]] = []  # (key, op, amount) of posted entries
    entries: list[LedgerEntry] = []
    for n, (op, value) in enumerate(ops):
        before = balance_get(contact=contact)
        key = f"op:{n}"
        if op == "credit":
            entry, created = ledger_credit(contact=contact, points=value, idempotency_key=key)
            assert created
            after = balance_get(contact=contact)
            assert (after.spendable, after.lifetime) == (
                before.spendable + value,
                before.lifetime + value,
            )
            entries.append(entry)
            keys.append((key, op, value))
        elif op == "debit":
            try:
                entry, _ = ledger_debit(contact=contact, points=value, idempotency_key=key)
            except InsufficientPoints:
                assert before.spendable < value
                assert balance_get(contact=contact) == before
            else:
                assert before.spendable >= value
                after = balance_get(contact=contact)
                assert after.spendable == before.spendable - value
                assert after.lifetime == before.lifetime  # spending never lowers lifetime
                entries.append(entry)
                keys.append((key, op, value))
        elif op == "adjust":
            try:
                entry, _ = ledger_post(
                    contact=contact, amount=value, kind="adjust", idempotency_key=key, reason="p"
                )
            except InsufficientPoints:
                assert value < 0 and before.spendable < -value
            else:
                entries.append(entry)
                keys.append((key, op, value))
        elif op == "reverse" and entries:
            target = entries[value % len(entries)]
            if target.kind in {"refund", "clawback"}:
                continue
            try:
                reversal, _ = ledger_reverse(entry=target, reason="p")
            except ServiceError:
                raise
            if target.amount < 0:
                after = balance_get(contact=contact)
                assert after.lifetime == before.lifetime  # a refund never touches lifetime
            if reversal is not None and reversal.pk not in {e.pk for e in entries}:
                entries.append(reversal)
        elif op == "replay" and keys:
            old_key, old_op, amount = keys[value % len(keys)]
            if old_op == "credit":
                _, created = ledger_credit(contact=contact, points=amount, idempotency_key=old_key)
            elif old_op == "debit":
                _, created = ledger_debit(contact=contact, points=amount, idempotency_key=old_key)
            else:
                _, created = ledger_post(
                    contact=contact, amount=amount, kind="adjust", idempotency_key=old_key
                )
            assert not created
            assert balance_get(contact=contact) == before  # a replay moves nothing
        balance = balance_get(contact=contact)
        assert balance.spendable >= 0
        assert (balance.spendable, balance.lifetime) == _sums(contact)
    assert ledger_reconcile() == []
