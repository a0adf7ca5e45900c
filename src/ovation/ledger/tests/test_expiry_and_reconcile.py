from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ovation.ledger.models import LedgerEntry, PointsBalance
from ovation.ledger.services import (
    balance_get,
    ledger_credit,
    ledger_debit,
    ledger_expire,
    ledger_reconcile,
)

pytestmark = pytest.mark.django_db


def backdate(entry, days):
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_unspent_old_points_expire_and_lifetime_stays(contact):
    old, _ = ledger_credit(contact=contact, points=300, idempotency_key="old")
    backdate(old, 400)
    ledger_credit(contact=contact, points=50, idempotency_key="new")
    ledger_debit(contact=contact, points=100, idempotency_key="spent")  # spent oldest first

    expired = ledger_expire(months=12)

    assert expired == {contact.pk: 200}
    balance = balance_get(contact=contact)
    assert (balance.spendable, balance.lifetime) == (50, 350)
    entry = LedgerEntry.objects.get(kind="expire")
    assert (entry.amount, entry.lifetime_delta) == (-200, 0)
    assert ledger_reconcile() == []


def test_expiry_runs_twice_without_expiring_twice(contact):
    old, _ = ledger_credit(contact=contact, points=300, idempotency_key="old")
    backdate(old, 400)
    assert ledger_expire(months=12) == {contact.pk: 300}
    assert ledger_expire(months=12) == {}
    later = timezone.now() + timedelta(days=3)
    assert ledger_expire(months=12, now=later) == {}
    assert balance_get(contact=contact).spendable == 0
    assert balance_get(contact=contact).lifetime == 300


def test_points_spent_since_count_against_the_old_ones(contact):
    old, _ = ledger_credit(contact=contact, points=100, idempotency_key="old")
    backdate(old, 400)
    ledger_credit(contact=contact, points=500, idempotency_key="new")
    ledger_debit(contact=contact, points=300, idempotency_key="spent")
    assert ledger_expire(months=12) == {}
    assert balance_get(contact=contact).spendable == 300


def test_expiry_is_off_without_a_setting(contact, settings):
    old, _ = ledger_credit(contact=contact, points=100, idempotency_key="old")
    backdate(old, 4000)
    settings.OVATION_POINTS_EXPIRE_MONTHS = None
    assert ledger_expire() == {}
    settings.OVATION_POINTS_EXPIRE_MONTHS = 24
    assert ledger_expire() == {contact.pk: 100}


def test_expire_command_dry_run_changes_nothing(contact, capsys):
    old, _ = ledger_credit(contact=contact, points=80, idempotency_key="old")
    backdate(old, 400)
    call_command("ledger", "expire", "--months", "12", "--dry-run")
    assert "would expire 80 points for 1 contact(s)" in capsys.readouterr().out
    assert balance_get(contact=contact).spendable == 80
    call_command("ledger", "expire", "--months", "12")
    assert "expired 80 points for 1 contact(s)" in capsys.readouterr().out
    assert balance_get(contact=contact).spendable == 0


def test_reconcile_command_passes_when_balances_agree(contact, capsys):
    ledger_credit(contact=contact, points=80, idempotency_key="a")
    ledger_debit(contact=contact, points=30, idempotency_key="b")
    call_command("ledger", "reconcile")
    assert "all balances agree with the ledger" in capsys.readouterr().out


def test_reconcile_command_fails_and_names_the_contact_on_a_mismatch(contact, capsys):
    ledger_credit(contact=contact, points=80, idempotency_key="a")
    PointsBalance.objects.filter(contact=contact).update(spendable=90)
    with pytest.raises(CommandError, match="1 balance\\(s\\) disagree"):
        call_command("ledger", "reconcile")
    out = capsys.readouterr().out
    assert f"contact {contact.pk}: cached Balance(spendable=90, lifetime=80)" in out
    assert "ledger Balance(spendable=80, lifetime=80)" in out
