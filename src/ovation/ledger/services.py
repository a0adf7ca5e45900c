"""The points ledger: the only way points move. Other modules call `ledger_post` (or the
named helpers) with an idempotency key derived from their own object, e.g.
`submission:42:approve`, so that a retried task or a double click credits once."""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ovation.core.errors import Conflict, IdempotencyMismatch, ServiceError
from ovation.directory.models import Contact

from .models import LedgerEntry, PointsBalance


class InsufficientPoints(Conflict):
    """The contact's spendable balance is lower than the debit."""


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


_LIFETIME_KINDS = {LedgerEntry.Kind.EARN, LedgerEntry.Kind.ADJUST, LedgerEntry.Kind.CLAWBACK}


def ledger_post(
    *,
    contact: Contact,
    amount: int,
    kind: str,
    idempotency_key: str,
    lifetime_delta: int | None = None,
    source_type: str = "",
    source_id: str | int = "",
    reason: str = "",
    actor=None,
    fingerprint: str = "",
) -> tuple[LedgerEntry, bool]:
    """Post one entry; returns (entry, created). Replaying a key returns the first entry;
    replaying it with a different fingerprint raises IdempotencyMismatch. A debit larger than
    the spendable balance raises InsufficientPoints and writes nothing.

    The balance row is changed with one conditional UPDATE (`spendable >= debit`), which the
    database serialises per contact: no read-then-write, so no overdraft under concurrency."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ServiceError("amount must be a whole number of points", field="amount")
    if kind not in LedgerEntry.Kind.values:
        raise ServiceError(f"unknown kind {kind!r}", field="kind")
    if not idempotency_key:
        raise ServiceError("an idempotency key is required", field="idempotency_key")
    if lifetime_delta is None:
        lifetime_delta = amount if kind in _LIFETIME_KINDS else 0
    if amount == 0 and lifetime_delta == 0:
        raise ServiceError("amount must not be zero", field="amount")

    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, contact, fingerprint), False
    try:
        with transaction.atomic():
            PointsBalance.objects.get_or_create(contact=contact)
            balance_rows = PointsBalance.objects.filter(contact=contact)
            if amount < 0:
                balance_rows = balance_rows.filter(spendable__gte=-amount)
            updated = balance_rows.update(
                spendable=F("spendable") + amount,
                lifetime=F("lifetime") + lifetime_delta,
                updated_at=timezone.now(),
            )
            if not updated:
                raise InsufficientPoints(
                    f"balance is too low for a debit of {-amount} points",
                    field="amount",
                    code="insufficient_points",
                )
            entry = LedgerEntry.objects.create(
                contact=contact,
                amount=amount,
                lifetime_delta=lifetime_delta,
                kind=kind,
                source_type=source_type,
                source_id=str(source_id),
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                reason=reason,
                actor=actor,
            )
    except IntegrityError:
        # Another request with the same key committed first: that one is the result.
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, contact, fingerprint), False
    return entry, True


def _replayed(entry: LedgerEntry, contact: Contact, fingerprint: str) -> LedgerEntry:
    if entry.contact_id != contact.pk or (
        fingerprint and entry.request_fingerprint and fingerprint != entry.request_fingerprint
    ):
        raise IdempotencyMismatch(
            "this Idempotency-Key was already used with a different request",
            field="Idempotency-Key",
            code="idempotency_mismatch",
        )
    return entry


def ledger_credit(
    *,
    contact: Contact,
    points: int,
    idempotency_key: str,
    source_type: str = "",
    source_id: str | int = "",
    reason: str = "",
    actor=None,
) -> tuple[LedgerEntry, bool]:
    """Award earned points (counts toward lifetime points and levels)."""
    if points <= 0:
        raise ServiceError("points must be positive", field="points")
    return ledger_post(
        contact=contact,
        amount=points,
        kind=LedgerEntry.Kind.EARN,
        idempotency_key=idempotency_key,
        source_type=source_type,
        source_id=source_id,
        reason=reason,
        actor=actor,
    )


def ledger_debit(
    *,
    contact: Contact,
    points: int,
    idempotency_key: str,
    source_type: str = "",
    source_id: str | int = "",
    reason: str = "",
    actor=None,
) -> tuple[LedgerEntry, bool]:
    """Spend points (a redemption); never overdraws."""
    if points <= 0:
        raise ServiceError("points must be positive", field="points")
    return ledger_post(
        contact=contact,
        amount=-points,
        kind=LedgerEntry.Kind.REDEEM,
        idempotency_key=idempotency_key,
        source_type=source_type,
        source_id=source_id,
        reason=reason,
        actor=actor,
    )


def ledger_reverse(
    *, entry: LedgerEntry, reason: str, actor=None
) -> tuple[LedgerEntry | None, bool]:
    """Reverse an entry (refund of a redemption, clawback of an award). A clawback takes back
    at most what is still spendable; lifetime points are reduced by the full award."""
    key = f"reverse:{entry.pk}"
    if entry.amount < 0:
        return ledger_post(
            contact=entry.contact,
            amount=-entry.amount,
            kind=LedgerEntry.Kind.REFUND,
            idempotency_key=key,
            lifetime_delta=0,
            source_type=entry.source_type,
            source_id=entry.source_id,
            reason=reason,
            actor=actor,
        )
    existing = LedgerEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    spendable = balance_get(contact=entry.contact).spendable
    take = min(entry.amount, spendable)
    if take == 0 and entry.lifetime_delta == 0:
        return None, False
    return ledger_post(
        contact=entry.contact,
        amount=-take,
        kind=LedgerEntry.Kind.CLAWBACK,
        idempotency_key=key,
        lifetime_delta=-entry.lifetime_delta,
        source_type=entry.source_type,
        source_id=entry.source_id,
        reason=reason,
        actor=actor,
    )


@dataclass(frozen=True)
class Balance:
    spendable: int
    lifetime: int


def balance_get(*, contact: Contact) -> Balance:
    row = PointsBalance.objects.filter(contact=contact).values_list("spendable", "lifetime").first()
    return Balance(*row) if row else Balance(0, 0)


def ledger_reconcile() -> list[tuple[int, Balance, Balance]]:
    """Compare each cached balance with the sum of its entries; returns the mismatches as
    (contact id, cached, summed)."""
    sums = {
        row["contact_id"]: Balance(row["s"] or 0, row["l"] or 0)
        for row in LedgerEntry.objects.values("contact_id").annotate(
            s=Sum("amount"), l=Sum("lifetime_delta")
        )
    }
    cached = {
        row[0]: Balance(row[1], row[2])
        for row in PointsBalance.objects.values_list("contact_id", "spendable", "lifetime")
    }
    mismatches = []
    for contact_id in sorted(set(sums) | set(cached)):
        a, b = cached.get(contact_id, Balance(0, 0)), sums.get(contact_id, Balance(0, 0))
        if a != b:
            mismatches.append((contact_id, a, b))
    return mismatches
