"""References for sales: the shared ask budget (Ask, FatiguePolicy, DoNotContact), reference
requests and their assignments, opportunities and their outcomes, and the matching weights.

The ask budget is shared by every module (references, challenges, programs, motivation): see
`ovation.references.budget` for the API other modules call."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ovation.core.models import TimeStampedModel
from ovation.directory.models import Account, Contact, Industry, Product, Region


class ActivityType(models.TextChoices):
    """What is asked of an advocate. Reference activities first, then asks of other modules."""

    CALL = "call", "Phone / video call"
    SITE_VISIT = "site_visit", "Site visit"
    EMAIL = "email", "Email exchange"
    RFP = "rfp", "RFP / written reference"
    CASE_STUDY = "case_study", "Case study use"
    VIDEO = "video", "Recorded video"
    PRESS = "press", "Press / analyst"
    CHALLENGE = "challenge", "Hub challenge"
    PROGRAM = "program", "Program invitation"
    SPEAKING = "speaking", "Speaking slot"
    REVIEW = "review", "Review"
    OTHER = "other", "Other ask"


REFERENCE_ACTIVITY_TYPES = ["call", "site_visit", "email", "rfp", "case_study", "video", "press"]


class Ask(models.Model):
    """One ask of one contact, by any module or made outside Ovation and logged.

    Every ask counts against the contact's (and account's) budget, whatever its outcome."""

    class Channel(models.TextChoices):
        REFERENCE = "reference", "Reference request"
        CHALLENGE = "challenge", "Challenge"
        PROGRAM = "program", "Program"
        MOTIVATION = "motivation", "Motivation"
        MANUAL = "manual", "Logged manually"

    class Status(models.TextChoices):
        ASKED = "asked", "Asked"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        COMPLETED = "completed", "Completed"
        IGNORED = "ignored", "No response"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="asks")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="asks"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    activity_type = models.CharField(max_length=20, choices=ActivityType.choices)
    asked_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASKED)
    responded_at = models.DateTimeField(null=True, blank=True)
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    logged_outside = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-asked_at"]),
            models.Index(fields=["account", "-asked_at"]),
        ]

    def __str__(self):
        return f"{self.activity_type} ask of {self.contact_id} @ {self.asked_at:%Y-%m-%d}"


class FatiguePolicy(models.Model):
    """A fatigue rule set. The row with `activity_type=""` applies to every ask (overall); a row
    for one activity type adds limits counted over asks of that type only. A limit of 0 is off.
    Quiet-period settings are read from the overall row."""

    activity_type = models.CharField(
        max_length=20, choices=ActivityType.choices, blank=True, unique=True
    )
    window_days = models.PositiveIntegerField(default=90)
    max_asks_in_window = models.PositiveIntegerField(default=3)
    min_days_between = models.PositiveIntegerField(default=14)
    max_per_account_per_quarter = models.PositiveIntegerField(default=6)
    decline_cooldown_days = models.PositiveIntegerField(default=30)
    renewal_quiet_days = models.PositiveIntegerField(
        default=30, help_text="no asks when the account renews within this many days (overall)"
    )
    respect_detractor_followup = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["activity_type"]
        verbose_name_plural = "fatigue policies"

    def __str__(self):
        return self.activity_type or "overall"

    @property
    def scope_label(self) -> str:
        return ActivityType(self.activity_type).label if self.activity_type else "All asks"


class DoNotContact(models.Model):
    """An explicit "do not contact until" date for a contact (a quiet period)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="do_not_contact")
    until = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until"]

    def __str__(self):
        return f"do not contact {self.contact_id} until {self.until}"


class MatchSettings(models.Model):
    """Weights of the soft matching score and workflow settings (one row, editable by managers)."""

    w_industry = models.FloatField(default=3.0)
    w_region = models.FloatField(default=2.0)
    w_size = models.FloatField(default=1.5)
    w_products = models.FloatField(default=2.5)
    w_text = models.FloatField(default=2.0)
    w_seniority = models.FloatField(default=1.0)
    w_recency = models.FloatField(default=1.5)
    w_acceptance = models.FloatField(default=1.0)
    w_rating = models.FloatField(default=1.0)
    w_load = models.FloatField(default=1.0)
    auto_assign = models.BooleanField(
        default=False, help_text="invite the best matches without review when confident"
    )
    auto_assign_min_score = models.FloatField(default=0.8)
    sla_review_hours = models.PositiveIntegerField(default=24)
    sla_response_hours = models.PositiveIntegerField(default=72)
    completion_points = models.PositiveIntegerField(default=200)
    updated_at = models.DateTimeField(auto_now=True)

    FACTORS = [
        "industry",
        "region",
        "size",
        "products",
        "text",
        "seniority",
        "recency",
        "acceptance",
        "rating",
        "load",
    ]

    class Meta:
        verbose_name_plural = "match settings"

    def __str__(self):
        return "match settings"

    @classmethod
    def current(cls) -> "MatchSettings":
        obj = cls.objects.order_by("id").first()
        return obj or cls.objects.create()

    def weights(self) -> dict[str, float]:
        return {f: float(getattr(self, f"w_{f}")) for f in self.FACTORS}


class Opportunity(TimeStampedModel):
    """A sales opportunity (from the CRM), with or without reference requests: the basis of
    influenced pipeline and win rate with vs without a reference."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    stage = models.CharField(max_length=60, blank=True)
    close_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    won_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    closed_at = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_gte_0")
        ]

    def __str__(self):
        return self.name


class ReferenceRequest(TimeStampedModel):
    """A sales rep's request for references for one opportunity and prospect."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        INVITED = "invited", "Advocate invited"
        ACCEPTED = "accepted", "Accepted"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CLOSED = "closed", "Outcome recorded"
        CANCELLED = "cancelled", "Cancelled"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reference_requests"
    )
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, related_name="reference_requests"
    )
    prospect_name = models.CharField(max_length=200, blank=True)
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.SET_NULL)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL)
    country = models.CharField(max_length=2, blank=True)
    employee_band = models.CharField(
        max_length=10, choices=Account.EmployeeBand.choices, blank=True
    )
    products = models.ManyToManyField(Product, blank=True, related_name="+")
    competitor = models.CharField("competitor being replaced", max_length=200, blank=True)
    use_case = models.TextField(blank=True)
    seniority = models.CharField(
        "prospect's seniority", max_length=20, choices=Contact.Seniority.choices, blank=True
    )
    activity_type = models.CharField(
        max_length=20,
        choices=[(v, ActivityType(v).label) for v in REFERENCE_ACTIVITY_TYPES],
    )
    needed_by = models.DateField(null=True, blank=True)
    number_wanted = models.PositiveSmallIntegerField(default=1)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    submitted_at = models.DateTimeField(db_index=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_wanted__gte=1) & Q(number_wanted__lte=10),
                name="refrequest_number_wanted_1_10",
            )
        ]

    def __str__(self):
        return f"#{self.pk} {self.opportunity.name if self.opportunity_id else ''}"

    @property
    def activity_label(self) -> str:
        return ActivityType(self.activity_type).label

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.CLOSED, self.Status.CANCELLED}


class Assignment(models.Model):
    """One advocate picked for a request: invited, accepts or declines, is scheduled, completes."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        NOT_HELD = "not_held", "Did not take place"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = ("invited", "accepted", "scheduled")

    request = models.ForeignKey(
        ReferenceRequest, on_delete=models.CASCADE, related_name="assignments"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="reference_assignments"
    )
    ask = models.OneToOneField(
        Ask, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignment"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.INVITED, db_index=True
    )
    score = models.FloatField(default=0)
    explanation = models.CharField(max_length=500, blank=True)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_assigned = models.BooleanField(default=False)
    invited_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    proposed_slots = models.JSONField(default=list, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-invited_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "contact"], name="assignment_unique"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="assignment_rating_1_5",
            ),
        ]

    def __str__(self):
        return f"assignment {self.pk}: request {self.request_id} -> contact {self.contact_id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
