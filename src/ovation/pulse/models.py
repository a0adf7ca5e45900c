"""Pulse: NPS surveys, the advocate definition, stage transitions and the rollup tables the
dashboard reads. Rollups are derived data: maintained incrementally on every write
(services.py) and rebuilt from the source rows by `ovation recompute` (recompute.py)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from ovation.directory.models import Account, Contact

DEFAULT_ADVOCACY_KINDS = [
    "reference.given",
    "referral.made",
    "review.written",
    "case_study.published",
    "speaking.done",
    "event.attended",
    "program.joined",
    "social.shared",
    "challenge.completed",
]


class AdvocateDefinition(models.Model):
    """One version of the rules that turn NPS answers and advocacy acts into a stage.

    Never edited: saving the settings page writes a new version, and the latest version is
    the one in force. Each StageTransition names the version that produced it."""

    version = models.PositiveIntegerField(unique=True)
    promoter_min_score = models.PositiveSmallIntegerField(default=9)
    promoter_window_days = models.PositiveIntegerField(default=365)
    advocate_min_acts = models.PositiveSmallIntegerField(default=1)
    advocate_window_days = models.PositiveIntegerField(default=182)
    champion_min_acts = models.PositiveSmallIntegerField(default=3)
    champion_window_days = models.PositiveIntegerField(default=365)
    advocacy_kinds = models.JSONField(default=list)
    account_min_advocates = models.PositiveSmallIntegerField(
        default=1, help_text="an account counts as an advocate account from this many advocates"
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promoter_min_score__lte=10), name="pulse_def_promoter_score_0_10"
            ),
            models.CheckConstraint(
                condition=Q(advocate_min_acts__gte=1), name="pulse_def_advocate_acts_min_1"
            ),
            models.CheckConstraint(
                condition=Q(account_min_advocates__gte=1), name="pulse_def_account_min_1"
            ),
        ]

    def __str__(self):
        return f"Advocate definition v{self.version}"


class Campaign(models.Model):
    """An NPS survey round: an audience chosen by segment filters, sent now or at a time, with
    one optional reminder to those who have not answered."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    name = models.CharField(max_length=200)
    question = models.CharField(
        max_length=300,
        default="How likely is it that you would recommend us to a friend or colleague?",
    )
    audience = models.JSONField(
        default=dict,
        blank=True,
        help_text="segment filters: industry, region, product, arr_band, csm, stage, "
        "employee_band (lists of values), surveyed_days (int)",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    scheduled_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    token_ttl_days = models.PositiveIntegerField(default=30)
    reminder_after_days = models.PositiveIntegerField(
        default=5, help_text="0 = no reminder; one reminder at most"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


def new_token() -> str:
    return secrets.token_urlsafe(18)


class SurveyInvitation(models.Model):
    """One recipient of a campaign: the personal link `/s/<token>` and its delivery state."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="nps_invitations")
    token = models.CharField(max_length=40, unique=True, default=new_token)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="pulse_invite_once")
        ]

    def __str__(self):
        return f"{self.campaign_id}→{self.contact_id}"


class Response(models.Model):
    """One NPS answer (0-10) with the reason and "what would make you recommend us / what stops
    you". Answering the same invitation again updates this row. `account` and `contact_stage`
    are copied at answer time so that history and rollups do not move when a contact does."""

    class Source(models.TextChoices):
        SURVEY = "survey", "Survey"
        IMPORT = "import", "Import"
        API = "api", "API"
        DEMO = "demo", "Demo"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="nps_responses")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="nps_responses"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    invitation = models.OneToOneField(
        SurveyInvitation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response",
    )
    score = models.PositiveSmallIntegerField()
    reason = models.TextField(blank=True)
    improvement = models.TextField(blank=True, help_text="what would make you recommend us")
    contact_stage = models.CharField(max_length=20, blank=True)
    answered_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SURVEY)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(score__lte=10), name="pulse_score_0_10")]
        indexes = [
            models.Index(fields=["contact", "-answered_at"]),
            models.Index(fields=["account", "answered_at"]),
        ]

    def __str__(self):
        return f"NPS {self.score} by {self.contact_id}"

    @property
    def category(self) -> str:
        from .stats import category

        return category(self.score)


class ResponseTheme(models.Model):
    """A theme found in a response's free text (explainable: the matched terms are kept)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(max_length=40, db_index=True)
    terms = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL)
    answered_at = models.DateTimeField(db_index=True)
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "theme"], name="pulse_theme_once")
        ]
        indexes = [models.Index(fields=["answered_at", "theme"])]

    def __str__(self):
        return self.theme


class SurveyOptOut(models.Model):
    """A contact who asked not to receive NPS surveys any more (honoured by every campaign)."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="nps_opt_out")
    created_at = models.DateTimeField(auto_now_add=True)
    via_campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self):
        return f"opt-out {self.contact_id}"


class FollowUp(models.Model):
    """Closing the loop: a detractor answer assigned to the account's CSM."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="nps_follow_ups")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="nps_follow_ups",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self):
        return f"follow-up {self.response_id} ({self.status})"


class StageTransition(models.Model):
    """A dated change of a contact's stage with the evidence that caused it ("NPS 10 on 1 Feb
    + event attended on 3 Mar"). Derived from NPS answers and advocacy acts under the
    definition in force; `ovation recompute` re-derives the history and is idempotent."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_transitions")
    from_stage = models.CharField(max_length=20)
    to_stage = models.CharField(max_length=20)
    occurred_at = models.DateTimeField(db_index=True)
    explanation = models.CharField(max_length=500)
    definition = models.ForeignKey(
        AdvocateDefinition, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["contact", "occurred_at"])]

    def __str__(self):
        return f"{self.contact_id}: {self.from_stage}→{self.to_stage}"


# --- Rollups (derived; see module docstring) -------------------------------------------------


class NpsAccountMonth(models.Model):
    """Per account per month: response counts by category (account-level history, filters
    combining several segments)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    responses = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    score_sum = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="pulse_acct_month_once")
        ]

    def __str__(self):
        return f"{self.account_id} {self.month}"


class NpsSegmentDay(models.Model):
    """Per day per segment value: response counts by category. The dashboard's trends, rolling
    windows and segment table are sums over this small table. dimension "all" has value ""."""

    day = models.DateField()
    dimension = models.CharField(max_length=20)
    value = models.CharField(max_length=64)
    responses = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    score_sum = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "day"], name="pulse_segment_day_once"
            )
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} {self.day}"


class NpsContactLatest(models.Model):
    """Each contact's latest answer: person-based NPS and account-level NPS read this."""

    contact = models.OneToOneField(
        Contact, primary_key=True, on_delete=models.CASCADE, related_name="nps_latest"
    )
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    answered_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.contact_id}: {self.score}"


class AdvocacySnapshot(models.Model):
    """Per month per segment value: customer contacts and accounts, and how many were
    promoters, advocates (incl. champions) and champions at the month's end (for the current
    month: now). Rebuilt from StageTransition by recompute; current month refreshed on change."""

    month = models.DateField()
    dimension = models.CharField(max_length=20)
    value = models.CharField(max_length=64)
    contacts = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    advocates = models.IntegerField(default=0)
    champions = models.IntegerField(default=0)
    accounts = models.IntegerField(default=0)
    advocate_accounts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "value", "month"], name="pulse_adv_snapshot_once"
            )
        ]

    def __str__(self):
        return f"{self.dimension}={self.value} {self.month}"
