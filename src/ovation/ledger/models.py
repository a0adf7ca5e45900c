from django.conf import settings
from django.db import models

from ovation.directory.models import Contact


class LedgerEntry(models.Model):
    """One append-only points movement. Entries are never updated or deleted: a mistake is
    corrected by a reversing entry. `idempotency_key` makes every credit/debit happen once.

    `amount` moves spendable points; `lifetime_delta` moves lifetime points (levels and
    leaderboards), so that spending or expiring points never lowers anyone's rank."""

    class Kind(models.TextChoices):
        EARN = "earn", "Earned"
        REDEEM = "redeem", "Redeemed"
        REFUND = "refund", "Refunded"
        ADJUST = "adjust", "Manual adjustment"
        EXPIRE = "expire", "Expired"
        CLAWBACK = "clawback", "Clawed back"

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="ledger_entries")
    amount = models.IntegerField()
    lifetime_delta = models.IntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_type = models.CharField(max_length=50, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-created_at"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0) | ~models.Q(lifetime_delta=0),
                name="ledger_entry_moves_points",
            )
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self):
        return f"{self.contact_id}: {self.amount:+d} ({self.kind})"


class PointsBalance(models.Model):
    """The balance cache, updated in the same transaction as each entry (reads in constant time).
    The ledger sum stays the truth; `ovation ledger reconcile` checks the two agree."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, primary_key=True, related_name="points"
    )
    spendable = models.IntegerField(default=0)
    lifetime = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(spendable__gte=0), name="balance_spendable_non_negative"
            )
        ]
        indexes = [models.Index(fields=["-lifetime"])]

    def __str__(self):
        return f"{self.contact_id}: {self.spendable} spendable / {self.lifetime} lifetime"
