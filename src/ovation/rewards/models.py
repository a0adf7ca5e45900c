"""The rewards catalogue, redemptions and their fulfilment, and per-account gift policies.
Points never live here: a redemption debits them through `ovation.ledger` and a cancellation
refunds them through it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ovation.core.models import TimeStampedModel
from ovation.directory.models import Account, Contact
from ovation.ledger.models import LedgerEntry


class Reward(TimeStampedModel):
    """Something an advocate can redeem points for. `stock` null means unlimited; it is only
    ever changed by conditional UPDATEs (`stock > 0`), so it never goes below zero."""

    class Kind(models.TextChoices):
        GIFT_CARD = "gift_card", "Gift card"
        SWAG = "swag", "Swag"
        DONATION = "donation", "Charity donation"
        EXPERIENCE = "experience", "Experience"
        CUSTOM = "custom", "Custom"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    description = models.TextField(blank=True)
    fulfilment_info = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the advocate should expect, e.g. “Sent by email within 3 business days”.",
    )
    cost = models.PositiveIntegerField(help_text="Points it costs.")
    stock = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many are left; empty means unlimited."
    )
    per_person_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many one person may redeem; empty means no limit."
    )
    variants = models.JSONField(
        default=list, blank=True, help_text="Sizes or options the advocate chooses from (swag)."
    )
    needs_shipping = models.BooleanField(
        default=False, help_text="Ask the advocate for a shipping address."
    )
    requires_approval = models.BooleanField(
        default=False, help_text="A manager approves each redemption before it is fulfilled."
    )
    is_active = models.BooleanField(default=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    image_data = models.BinaryField(null=True, blank=True, editable=False)
    image_type = models.CharField(max_length=40, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="reward_cost_positive"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gt=models.F("available_from")),
                name="reward_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "kind"])]

    def __str__(self):
        return self.name

    @property
    def has_image(self) -> bool:
        return bool(self.image_type)

    @property
    def is_in_stock(self) -> bool:
        return self.stock is None or self.stock > 0

    def is_available(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.is_active
            and (self.available_from is None or self.available_from <= now)
            and (self.available_until is None or self.available_until > now)
        )


class Redemption(TimeStampedModel):
    """A contact's redemption of a reward. Its points were debited by `debit_entry`
    (idempotency key `redemption:<id>`); a cancellation refunds them once (`refund_entry`).
    Status: requested -> approved -> fulfilled, or cancelled from requested/approved."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.REQUESTED, Status.APPROVED)

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="redemptions")
    points = models.PositiveIntegerField(help_text="The cost when it was redeemed.")
    variant = models.CharField(max_length=60, blank=True)
    shipping_address = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    debit_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_key = models.CharField(
        max_length=150,
        null=True,
        blank=True,
        unique=True,
        help_text="Idempotency key of the request that created it (double submits redeem once).",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["contact", "-created_at"]),
            models.Index(fields=["reward", "contact", "status"]),
        ]

    def __str__(self):
        return f"{self.reward} for {self.contact_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RedemptionEvent(models.Model):
    """One step in a redemption's history: a status change or a note. Notes marked internal
    are for staff only; the others are shown to the advocate (e.g. a tracking number)."""

    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=Redemption.Status.choices)
    note = models.TextField(blank=True)
    is_internal = models.BooleanField(default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.redemption_id}: {self.from_status or '-'} -> {self.to_status}"


class AccountRewardPolicy(models.Model):
    """An account's gift policy. Many B2B buyers may not accept personal gifts: when
    `donations_only` is set, the account's contacts may redeem charity donations only."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="reward_policy")
    donations_only = models.BooleanField(default=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="Why, e.g. “Public sector: no gifts over $0”."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "account reward policies"

    def __str__(self):
        return f"{self.account}: {'donations only' if self.donations_only else 'any reward'}"
