"""Automations: rules ("moments of magic"), their run history, CSM follow-ups, outgoing
webhooks (endpoints, deliveries, attempts), inbound CRM webhooks and email (outbox and
per-contact opt-outs).

Idempotency lives in unique constraints: one RuleRun per (rule, trigger key) — the trigger key
of an event-triggered run is `event:<id>` — and one subscription Delivery per (endpoint, event),
so a retried task can never fire a rule or deliver an event twice."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ovation.activity.models import DomainEvent
from ovation.directory.models import Account, Contact


class AutomationRule(models.Model):
    """When a trigger happens and the conditions hold, do the actions (optionally after a
    delay, at most N times per contact per window). Built-in recipes carry a `recipe_key`.

    `conditions` is a list of {"field", "op", "value"}; `actions` a list of {"type", ...}.
    Both are validated by `conditions.conditions_validate` / `actions_validate`."""

    class Trigger(models.TextChoices):
        EVENT = "event", "When an event happens"
        SCHEDULE = "schedule", "On a schedule"
        DATE = "date", "On a date"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    class DateField(models.TextChoices):
        ANNIVERSARY = "customer_anniversary", "Customer anniversary (account's customer since)"
        RENEWAL = "renewal", "Renewal in N days (account's renewal date)"

    class DelayUnit(models.TextChoices):
        MINUTES = "minutes", "minutes"
        HOURS = "hours", "hours"
        DAYS = "days", "days"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    recipe_key = models.CharField(max_length=50, null=True, blank=True, unique=True)
    is_enabled = models.BooleanField(default=False, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.EVENT)
    event_type = models.CharField(max_length=80, blank=True, db_index=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, blank=True)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday")
    run_at = models.TimeField(null=True, blank=True, help_text="local time of day")
    date_field = models.CharField(max_length=30, choices=DateField.choices, blank=True)
    days_before = models.PositiveIntegerField(default=0)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA name; empty = the company's time zone"
    )
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    delay_amount = models.PositiveIntegerField(default=0)
    delay_unit = models.CharField(max_length=10, choices=DelayUnit.choices, default="days")
    rate_limit_count = models.PositiveIntegerField(
        default=0, help_text="at most this many runs per contact (0 = no limit)"
    )
    rate_limit_days = models.PositiveIntegerField(
        default=0, help_text="within this many days (0 = ever)"
    )
    last_slot_at = models.DateTimeField(
        null=True, blank=True, help_text="last schedule/date slot handled"
    )
    enabled_at = models.DateTimeField(null=True, blank=True)
    last_dry_run_at = models.DateTimeField(null=True, blank=True)
    last_dry_run = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_enabled", "name", "id"]
        indexes = [models.Index(fields=["is_enabled", "trigger", "event_type"])]

    def __str__(self):
        return self.name


class RuleRun(models.Model):
    """One firing (or considered firing) of a rule for one trigger: the run history.

    `key` is `event:<event id>` for event rules, `slot:<iso>:<contact id>` for schedules and
    dates; unique per rule, so a retried task finds the run it already made."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        FIRED = "fired", "Fired"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    key = models.CharField(max_length=120)
    event = models.ForeignKey(
        DomainEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True)
    actions_done = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="automations_run_once_per_key")
        ]
        indexes = [models.Index(fields=["rule", "contact", "status", "created_at"])]

    def __str__(self):
        return f"{self.rule_id} {self.key} {self.status}"


class FollowUpTask(models.Model):
    """A to-do for a CSM created by a rule ("call Jane to thank her")."""

    run = models.ForeignKey(
        RuleRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    key = models.CharField(max_length=160, unique=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)
    is_done = models.BooleanField(default=False, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["is_done", "due_on", "id"]

    def __str__(self):
        return self.title


class WebhookEndpoint(models.Model):
    """A URL subscribed to event types, signed with its `whsec_` secret (Standard Webhooks).

    During a rotation the previous secret keeps signing until `previous_secret_expires_at`, so
    receivers can switch over without dropping a message."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text='event types; ["*"] = every event')
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(default=True, db_index=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One message to one URL, delivered at least once. `message_id` is the `webhook-id`
    header, the same on every attempt; `body` is frozen at creation so retries send the same
    bytes. Slack posts from rules are deliveries too (kind=slack, unsigned)."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        RULE = "rule", "Rule action"
        SLACK = "slack", "Slack"
        TEST = "test", "Test"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled"

    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    url = models.URLField(max_length=500, blank=True, help_text="for Slack posts")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=160, unique=True)
    event = models.ForeignKey(
        DomainEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_type = models.CharField(max_length=80)
    message_id = models.CharField(max_length=64, unique=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"],
                condition=Q(kind="subscription"),
                name="automations_delivery_once_per_endpoint_event",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.message_id} {self.status}"

    @property
    def target_url(self) -> str:
        return self.endpoint.url if self.endpoint_id else self.url


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self):
        return f"{self.delivery_id}#{self.number} {self.status_code or self.error}"

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class InboundWebhook(models.Model):
    """A verified message from the CRM, kept once per (source, event id)."""

    source = models.CharField(max_length=20, default="crm")
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    result = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="automations_inbound_once")
        ]

    def __str__(self):
        return f"{self.source}:{self.event_id}"


class EmailPreference(models.Model):
    """A contact's opt-out of one kind of email (event type), or of all (`*`)."""

    ALL = "*"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=80)
    is_opted_out = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "event_type"], name="automations_email_pref_once"
            )
        ]

    def __str__(self):
        return f"{self.contact_id} {self.event_type} {'out' if self.is_opted_out else 'in'}"


class EmailMessage(models.Model):
    """Outbox of every email Ovation sends; the task renders and sends it once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SUPPRESSED = "suppressed", "Suppressed (opted out)"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    event_type = models.CharField(max_length=80, blank=True)
    dedupe_key = models.CharField(max_length=160, null=True, blank=True, unique=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text="[{filename, mimetype, content_b64}], e.g. a calendar file",
    )
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.template} → {self.to}"
