"""Referral programs: personal links, clicks, referred leads, their rewards and history.

The click table is the hot write path (one INSERT per `/r/<code>` hit); everything else is
written at human speed by the lead form, staff, the API, CSV imports and the CRM webhook."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from ovation.core.models import TimeStampedModel
from ovation.directory.models import Account, Contact

MAX_ATTRIBUTION_DAYS = 548  # 18 months: B2B buying cycles are long


class ProgramManager(models.Manager):
    """Programs without their image bytes: the picture is read only by the image view."""

    def get_queryset(self):
        return super().get_queryset().defer("image_data")


class ReferralProgram(TimeStampedModel):
    """A referral program (e.g. "Customers refer a peer", "Partner referrals"): its landing
    page, form, attribution window, policies and fraud thresholds. Reward rules hang off it.
    Several programs run at once; each advocate gets one personal link per active program."""

    class PipelinePolicy(models.TextChoices):
        NO_CREDIT = "no_credit", "No credit (default)"
        REVIEW = "review", "Hold for review"
        CREDIT = "credit", "Give credit"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)
    headline = models.CharField(max_length=160)
    body_markdown = models.TextField(blank=True, help_text="Markdown; HTML is sanitised")
    body_html = models.TextField(blank=True, editable=False)
    # The landing page's picture, kept in the database and served by /refer/<slug>/image
    # (sandboxed, type checked by content): no media server to configure, nothing to sniff.
    image_data = models.BinaryField(null=True, blank=True, editable=False)
    image_type = models.CharField(max_length=40, blank=True, editable=False)

    objects = ProgramManager()
    offer = models.CharField(
        max_length=200, blank=True, help_text="What the friend gets, shown on the landing page"
    )
    share_text = models.TextField(
        blank=True,
        help_text="Prefilled message advocates can edit before sharing; {name} is their name",
    )
    ask_company = models.BooleanField(default=True)
    ask_phone = models.BooleanField(default=False)
    ask_message = models.BooleanField(default=True)
    terms = models.TextField(blank=True)
    attribution_window_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(MAX_ATTRIBUTION_DAYS)]
    )
    pipeline_policy = models.CharField(
        max_length=12, choices=PipelinePolicy.choices, default=PipelinePolicy.NO_CREDIT
    )
    double_opt_in = models.BooleanField(
        default=False, help_text="Ask the friend to confirm their email before the lead counts"
    )
    velocity_per_hour = models.PositiveIntegerField(default=5)
    velocity_per_day = models.PositiveIntegerField(default=20)
    reward_cap_count = models.PositiveIntegerField(
        default=20, help_text="Most rewards one person can receive in 12 months"
    )
    reward_cap_points = models.PositiveIntegerField(
        default=20000, help_text="Most points one person can receive in 12 months"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attribution_window_days__gte=1)
                & Q(attribution_window_days__lte=MAX_ATTRIBUTION_DAYS),
                name="referral_program_window_range",
            )
        ]

    def __str__(self):
        return self.name


class ReferralRewardRule(models.Model):
    """What one side earns when a referral reaches a stage: points through the ledger and/or a
    note (gift card, discount code, extended trial) for people who are not contacts."""

    class Stage(models.TextChoices):
        QUALIFIED = "qualified", "Qualified"
        OPPORTUNITY = "opportunity", "Opportunity"
        WON = "won", "Won"

    class Recipient(models.TextChoices):
        REFERRER = "referrer", "Referrer"
        FRIEND = "friend", "Friend"

    program = models.ForeignKey(
        ReferralProgram, on_delete=models.CASCADE, related_name="reward_rules"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices)
    recipient = models.CharField(max_length=10, choices=Recipient.choices)
    points = models.PositiveIntegerField(default=0)
    note = models.CharField(
        max_length=200, blank=True, help_text="e.g. '$100 gift card' or 'Code FRIEND20: 20% off'"
    )

    class Meta:
        ordering = ["program", "stage", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "stage", "recipient"], name="referral_rule_one_per_stage_side"
            )
        ]

    def __str__(self):
        return f"{self.program_id}: {self.recipient} at {self.stage}"


class ReferralLink(models.Model):
    """One advocate's personal, unguessable link for one program (`/r/<code>`)."""

    program = models.ForeignKey(ReferralProgram, on_delete=models.CASCADE, related_name="links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="referral_links")
    code = models.CharField(max_length=16, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "contact"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "contact"], name="referral_link_one_per_contact"
            )
        ]

    def __str__(self):
        return self.code


class ReferralClick(models.Model):
    """One hit on `/r/<code>`. Append-only and written with a single INSERT; the IP is kept
    only as a salted HMAC. `is_bot` and `is_duplicate` clicks are excluded from the funnel."""

    class Agent(models.TextChoices):
        BROWSER = "browser", "Browser"
        MOBILE = "mobile", "Mobile"
        BOT = "bot", "Bot"

    link = models.ForeignKey(
        ReferralLink, on_delete=models.CASCADE, related_name="clicks", db_index=False
    )
    program = models.ForeignKey(
        ReferralProgram, on_delete=models.CASCADE, related_name="clicks", db_index=False
    )
    clicked_at = models.DateTimeField()
    ip_hash = models.CharField(max_length=32)
    agent = models.CharField(max_length=8, choices=Agent.choices)
    referer_host = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    is_bot = models.BooleanField(default=False)
    is_duplicate = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["link", "clicked_at"], name="referral_click_link_time"),
            models.Index(fields=["program", "clicked_at"], name="referral_click_program_time"),
        ]

    def __str__(self):
        return f"click {self.link_id} @ {self.clicked_at:%Y-%m-%d %H:%M}"


class AdvocateNetwork(models.Model):
    """An IP hash an advocate used in the hub, kept to flag leads submitted from the
    referrer's own network (flagged, not blocked: colleagues share office networks)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    ip_hash = models.CharField(max_length=32)
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "ip_hash"], name="advocate_network_unique")
        ]

    def __str__(self):
        return f"{self.contact_id}: {self.ip_hash[:8]}"


class Referral(TimeStampedModel):
    """A referred friend (the lead) and where they are in the funnel. The referrer -> referee
    pair (and the referee's account once it becomes a customer) is kept for retention analysis.

    `counts` marks the first valid referral of a person: a partial unique constraint on the
    normalised email makes "first valid referral wins" hold under concurrent submissions."""

    class Status(models.TextChoices):
        LEAD = "lead", "Lead"
        QUALIFIED = "qualified", "Qualified"
        OPPORTUNITY = "opportunity", "Opportunity"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        DISQUALIFIED = "disqualified", "Disqualified"

    class Review(models.TextChoices):
        CLEAR = "clear", "Clear"
        FLAGGED = "flagged", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        BLOCKED = "blocked", "Blocked"

    program = models.ForeignKey(ReferralProgram, on_delete=models.PROTECT, related_name="referrals")
    link = models.ForeignKey(
        ReferralLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    referrer = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="referrals_made")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    email_normalized = models.CharField(max_length=254, db_index=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    ip_hash = models.CharField(max_length=32, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.LEAD, db_index=True
    )
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.CLEAR)
    fraud_flags = models.JSONField(default=list, blank=True)
    counts = models.BooleanField(default=True)
    stage_reached = models.CharField(
        max_length=12, blank=True, help_text="Highest of qualified/opportunity/won reached"
    )
    status_reason = models.CharField(
        max_length=300, blank=True, help_text="Plain words shown to the referrer"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    deal_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    referee_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="referred_by"
    )
    referee_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_in"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["program", "status"], name="referral_program_status"),
            models.Index(fields=["referrer", "-created_at"], name="referral_referrer_time"),
            models.Index(fields=["link", "created_at"], name="referral_link_time"),
            models.Index(fields=["review"], name="referral_review"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["email_normalized"],
                condition=Q(counts=True),
                name="referral_first_valid_wins",
            )
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.email})".strip()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_payable(self) -> bool:
        """Rewards are paid only on counted, unflagged (or approved), confirmed referrals."""
        if not self.counts or self.review not in (self.Review.CLEAR, self.Review.APPROVED):
            return False
        return not (self.program.double_opt_in and self.confirmed_at is None)


class ReferralEvent(models.Model):
    """The history of a referral: each status change or review decision, who made it and
    through which channel (UI, API, CSV, webhook)."""

    class Source(models.TextChoices):
        FORM = "form", "Landing page"
        UI = "ui", "Staff"
        API = "api", "API"
        CSV = "csv", "CSV import"
        WEBHOOK = "webhook", "CRM webhook"
        SYSTEM = "system", "System"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    action = models.CharField(max_length=30)
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.referral_id}: {self.action}"


class ReferralReward(models.Model):
    """A reward decision for one side of one referral at one stage: paid through the ledger,
    a note issued to the friend, withheld (cap reached) or clawed back. One row per
    (referral, stage, recipient): the unique constraint plus the ledger idempotency key make
    concurrent stage changes pay exactly once."""

    class State(models.TextChoices):
        PAID = "paid", "Paid"
        ISSUED = "issued", "Issued"
        CAPPED = "capped", "Not paid: yearly cap reached"
        CLAWED_BACK = "clawed_back", "Clawed back"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="rewards")
    stage = models.CharField(max_length=12, choices=ReferralRewardRule.Stage.choices)
    recipient = models.CharField(max_length=10, choices=ReferralRewardRule.Recipient.choices)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    points = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    ledger_entry = models.ForeignKey(
        "ledger.LedgerEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "stage", "recipient"], name="referral_reward_once"
            )
        ]
        indexes = [models.Index(fields=["contact", "created_at"], name="referral_reward_contact")]

    def __str__(self):
        return f"{self.referral_id}:{self.stage}:{self.recipient} {self.state}"


class WebhookReceipt(models.Model):
    """An inbound CRM webhook event already processed (idempotency on the event id)."""

    event_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return self.event_id
