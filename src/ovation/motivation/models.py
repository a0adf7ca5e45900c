"""The motivation engine: the ask taxonomy (what each kind of ask appeals to and is worth),
per-contact motivator profiles (Beta posteriors per motivator), the responses they learn from,
predictions kept for calibration, and campaigns that invite the best-fit advocates.

The math lives in `motivation/model.py` (pure NumPy); these tables hold its parameters."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ovation.directory.models import Contact

from .model import MOTIVATOR_LABELS, MOTIVATORS


class AskType(models.Model):
    """One kind of ask (a hub challenge kind, a reference activity, an event or program
    invitation, a speaking slot): the motivators it appeals to (weights, normalised when
    used), its value to the company (0-10), its fatigue cost (0-1), the activity type it is
    counted as in the shared ask budget and whether it draws on that budget at all (small
    self-serve hub asks do not). Seeded from `defaults.ASK_TYPES`; managers edit them."""

    key = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    family = models.CharField(max_length=20)
    budget_activity_type = models.CharField(max_length=20)
    value = models.FloatField(default=3.0)
    fatigue_cost = models.FloatField(default=0.3)
    points = models.PositiveIntegerField(default=0)
    effort_minutes = models.PositiveIntegerField(default=15)
    uses_budget = models.BooleanField(default=True)
    motivators = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family", "label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0) & Q(value__lte=10), name="asktype_value_0_10"
            ),
            models.CheckConstraint(
                condition=Q(fatigue_cost__gte=0) & Q(fatigue_cost__lte=1),
                name="asktype_fatigue_cost_0_1",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def motivator_rows(self) -> list[tuple[str, str, float]]:
        return [(m, MOTIVATOR_LABELS[m], float(self.motivators.get(m, 0))) for m in MOTIVATORS]

    @property
    def main_motivators(self) -> list[str]:
        ranked = sorted(self.motivators.items(), key=lambda kv: -float(kv[1] or 0))
        return [
            MOTIVATOR_LABELS[m] for m, w in ranked if float(w or 0) > 0 and m in MOTIVATOR_LABELS
        ][:2]


class PopulationPrior(models.Model):
    """The population's mean acceptance per motivator and the prior strength, fitted by
    empirical Bayes at each recompute (one row, key "default")."""

    key = models.CharField(max_length=20, unique=True, default="default")
    mean = models.JSONField(default=list)
    strength = models.FloatField(default=4.0)
    contacts = models.PositiveIntegerField(default=0)
    observations = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"population prior (k={self.strength:.1f})"


class Profile(models.Model):
    """A contact's motivator profile: Beta(alpha_m, beta_m) per motivator (lists in MOTIVATORS
    order) = prior (from the questionnaire, persona/seniority or the population) + the soft
    successes/failures learned from responses. Rebuilt from `Observation` rows, so it is
    always reproducible."""

    class Source(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Their answers in the hub"
        PERSONA = "persona", "Their persona and seniority"
        POPULATION = "population", "Advocates like them (no answers yet)"

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="motivation_profile"
    )
    alpha = models.JSONField(default=list)
    beta = models.JSONField(default=list)
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)
    prior_mean = models.JSONField(default=list)
    prior_source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.POPULATION
    )
    observations = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    declined = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"motivation profile of {self.contact_id}"


class Observation(models.Model):
    """One response of one contact to one ask, from any module: an ask of the shared budget
    (references, programs, campaigns), a hub submission, an RSVP, a program application, or a
    "not for me" in the hub. `source_key` ("ask:12", "submission:7", ...) makes rebuilding
    idempotent."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        IGNORED = "ignored", "No response"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="motivation_observations"
    )
    ask_type = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    occurred_at = models.DateTimeField()
    source_key = models.CharField(max_length=60, unique=True)
    target_type = models.CharField(max_length=20, blank=True)
    target_id = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["contact", "occurred_at"]),
            models.Index(fields=["ask_type", "outcome"]),
        ]

    def __str__(self):
        return f"{self.contact_id} {self.outcome} {self.ask_type}"

    @property
    def is_yes(self) -> bool:
        return self.outcome in (self.Outcome.ACCEPTED, self.Outcome.COMPLETED)


class Campaign(models.Model):
    """ "Invite the 25 best-fit advocates to speak at our user conference": an ask (a type,
    optionally a hub challenge or a program event or program), how many, which segment.
    Each invitee gets an Ask in the shared budget and a Prediction for calibration."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"

    class Target(models.TextChoices):
        ASK_TYPE = "ask_type", "An ask of this type"
        CHALLENGE = "challenge", "A hub challenge"
        EVENT = "event", "A program event"
        PROGRAM = "program", "A program"

    name = models.CharField(max_length=160)
    ask_type = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20, choices=Target.choices, default=Target.ASK_TYPE)
    target_id = models.PositiveIntegerField(default=0)
    target_label = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=25)
    filters = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    invited_count = models.PositiveIntegerField(default=0)
    excluded_count = models.PositiveIntegerField(default=0)
    expected_accepts = models.FloatField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gte=1) & Q(size__lte=500), name="campaign_size_1_500"
            )
        ]

    def __str__(self):
        return self.name


class Prediction(models.Model):
    """What the model predicted when an ask was shown or made (hub recommendation, staff
    next-best-ask, campaign invitation, or a back-test of the history) and what happened, so
    calibration can be checked. One open (pending) prediction per contact, place and ask."""

    class Context(models.TextChoices):
        HUB = "hub", "Hub recommendation"
        STAFF = "staff", "Next best ask (staff)"
        CAMPAIGN = "campaign", "Campaign invitation"
        BACKTEST = "backtest", "Back-test of past asks"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting"
        ACCEPTED = "accepted", "Accepted"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        IGNORED = "ignored", "No response"

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="motivation_predictions"
    )
    ask_type = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20, default="ask_type")
    target_id = models.PositiveIntegerField(default=0)
    target_label = models.CharField(max_length=200, blank=True)
    context = models.CharField(max_length=10, choices=Context.choices)
    probability = models.FloatField()
    score = models.FloatField(default=0)
    explanation = models.CharField(max_length=300, blank=True)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="predictions"
    )
    ask_id = models.BigIntegerField(null=True, blank=True, help_text="references.Ask id")
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    shown_at = models.DateTimeField(default=timezone.now, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shown_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "outcome"]),
            models.Index(fields=["ask_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "context", "ask_type", "target_type", "target_id"],
                condition=Q(outcome="pending"),
                name="prediction_one_open_per_ask",
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=1),
                name="prediction_probability_0_1",
            ),
        ]

    def __str__(self):
        return f"{self.contact_id} {self.ask_type} p={self.probability:.2f} {self.outcome}"

    @property
    def is_yes(self) -> bool:
        return self.outcome in (self.Outcome.ACCEPTED, self.Outcome.COMPLETED)
