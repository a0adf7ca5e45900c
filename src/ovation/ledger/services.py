"""The points ledger: the only way points move. Other modules call `ledger_post` (or the
named helpers) with an idempotency key derived from their own object, e.g.
`submission:42:approve`, so that a retried task or a double click credits once."""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ovation.activity.services import event_publish
from ovation.core.errors import Conflict, IdempotencyMismatch, ServiceError
from ovation.directory.models import Contact
from ovation.users.audit import audit_record

from .models import LedgerEntry, PointsBalance


class InsufficientPoints(Conflict):
    """The contact's spendable balance is lower than the debit."""


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# One movement is capped well inside a 32-bit column (PostgreSQL `integer`).
MAX_POINTS = 10_000_000

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
    if abs(amount) > MAX_POINTS or abs(lifetime_delta) > MAX_POINTS:
        raise ServiceError(f"amount must be at most {MAX_POINTS:,} points", field="amount")

    # Optimistic: no SELECT for the key first. A replay fails on the unique key (or, for a
    # debit, on the balance) and rolls back; only then is the first entry looked up.
    try:
        with transaction.atomic():
            balance_rows = PointsBalance.objects.filter(contact=contact)
            if amount < 0:
                balance_rows = balance_rows.filter(spendable__gte=-amount)
            changes = {
                "spendable": F("spendable") + amount,
                "lifetime": F("lifetime") + lifetime_delta,
                "updated_at": timezone.now(),
            }
            updated = balance_rows.update(**changes)
            if not updated and amount >= 0:
                # First movement for this contact: create the row (race-safe), then move.
                PointsBalance.objects.get_or_create(contact=contact)
                updated = balance_rows.update(**changes)
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
            if lifetime_delta > 0:
                # Levels live in the hub; it hears of lifetime points rising through this event.
                after = PointsBalance.objects.filter(contact=contact).values_list(
                    "lifetime", flat=True
                )[0]
                event_publish(
                    type="points.earned",
                    contact=contact,
                    data={
                        "contact_id": contact.pk,
                        "entry_id": entry.pk,
                        "points": lifetime_delta,
                        "lifetime_before": after - lifetime_delta,
                        "lifetime_after": after,
                        "source_type": source_type,
                    },
                )
            if kind in (LedgerEntry.Kind.ADJUST, LedgerEntry.Kind.CLAWBACK) or actor is not None:
                audit_record(
                    action=f"points.{kind}",
                    actor=actor,
                    target=contact,
                    data={
                        "amount": amount,
                        "lifetime_delta": lifetime_delta,
                        "reason": reason,
                        "entry": entry.pk,
                    },
                )
    except IntegrityError:
        # The key was used before (or by a concurrent request that committed first): the
        # first entry is the result.
        existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, contact, fingerprint), False
    except InsufficientPoints:
        # A replayed debit returns its first result even if the balance has since dropped.
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
    with transaction.atomic():
        # Lock the balance row so the amount taken back is decided and debited in one step:
        # a concurrent redemption cannot spend the points in between (which would make the
        # clawback fail with InsufficientPoints instead of taking what is left).
        spendable = (
            PointsBalance.objects.select_for_update()
            .filter(contact_id=entry.contact_id)
            .values_list("spendable", flat=True)
            .first()
        ) or 0
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


def ledger_adjust(
    *,
    contact: Contact,
    amount: int,
    reason: str,
    actor,
    idempotency_key: str,
    fingerprint: str = "",
) -> tuple[LedgerEntry, bool]:
    """A manager's manual correction (signed; moves spendable and lifetime points). A reason
    is required; the entry keeps actor and reason, and an Activity `points.adjusted` records
    it on the contact's timeline in the same transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("a reason is required for a manual adjustment", field="reason")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise ServiceError("amount must be a non-zero whole number of points", field="amount")
    from ovation.activity.services import activity_record

    with transaction.atomic():
        entry, created = ledger_post(
            contact=contact,
            amount=amount,
            kind=LedgerEntry.Kind.ADJUST,
            idempotency_key=idempotency_key,
            source_type="adjustment",
            reason=reason,
            actor=actor,
            fingerprint=fingerprint,
        )
        if created:
            activity_record(
                kind=ADJUSTED_ACTIVITY,
                contact=contact,
                points=amount,
                source="ledger",
                actor=actor,
                data={"entry_id": entry.pk, "amount": amount, "reason": reason},
                external_id=f"ledger-entry:{entry.pk}",
            )
    return entry, created


ADJUSTED_ACTIVITY = "points.adjusted"


def _expiry_cutoff(months: int, now):
    year, month = now.year, now.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(now.day, 28)
    return now.replace(year=year, month=month, day=day)


def ledger_expire(*, months: int | None = None, now=None, dry_run: bool = False) -> dict[int, int]:
    """Expire spendable points earned more than `months` months ago (default: the setting
    OVATION_POINTS_EXPIRE_MONTHS; None or 0 means points never expire).

    Points are spent oldest first, so what is still unspent of the points credited before the
    cutoff is `credited before cutoff - everything ever debited` (redemptions, expiries,
    clawbacks, negative adjustments), capped by the current spendable balance. Expiry entries
    have `lifetime_delta = 0`: levels and leaderboards never move. The key
    `expire:<contact>:<cutoff date>` makes a second run on the same day a no-op, and because
    earlier expiries count as debits a later run never expires the same points twice.
    Returns {contact id: points expired}."""
    from django.conf import settings
    from django.db.models import Q

    if months is None:
        months = getattr(settings, "OVATION_POINTS_EXPIRE_MONTHS", None)
    if not months:
        return {}
    if months < 0:
        raise ServiceError("months must be positive", field="months")
    now = now or timezone.now()
    cutoff = _expiry_cutoff(months, now)
    rows = (
        LedgerEntry.objects.filter(contact__points__spendable__gt=0)
        .values("contact_id")
        .annotate(
            old_credits=Sum("amount", filter=Q(amount__gt=0, created_at__lt=cutoff)),
            debits=Sum("amount", filter=Q(amount__lt=0)),
        )
        .filter(old_credits__gt=0)
    )
    due = {}
    for row in rows:
        unspent_old = row["old_credits"] + (row["debits"] or 0)
        if unspent_old > 0:
            due[row["contact_id"]] = unspent_old
    if dry_run or not due:
        return {cid: min(points, balance_get_by_id(cid).spendable) for cid, points in due.items()}
    expired = {}
    contacts = Contact.objects.in_bulk(list(due))
    for contact_id, points in due.items():
        with transaction.atomic():
            spendable = (
                PointsBalance.objects.select_for_update()
                .filter(contact_id=contact_id)
                .values_list("spendable", flat=True)
                .first()
            ) or 0
            take = min(points, spendable)
            if take <= 0:
                continue
            entry, created = ledger_post(
                contact=contacts[contact_id],
                amount=-take,
                kind=LedgerEntry.Kind.EXPIRE,
                lifetime_delta=0,
                idempotency_key=f"expire:{contact_id}:{cutoff.date().isoformat()}",
                source_type="expiry",
                reason=f"points earned before {cutoff:%Y-%m-%d} expired ({months} months)",
            )
            if created:
                expired[contact_id] = take
    return expired


def balance_get_by_id(contact_id: int) -> "Balance":
    row = (
        PointsBalance.objects.filter(contact_id=contact_id)
        .values_list("spendable", "lifetime")
        .first()
    )
    return Balance(*row) if row else Balance(0, 0)


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
