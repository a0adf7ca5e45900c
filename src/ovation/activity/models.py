from django.conf import settings
from django.db import models

from ovation.directory.models import Account, Contact


class Activity(models.Model):
    """Something a contact or account did or had done to them: the timeline every module writes
    to (NPS answered, challenge completed, reference given, referral made, event attended...).

    `kind` is an open vocabulary; `Kind` lists the ones Ovation itself writes. `external_id`
    makes imports and integrations idempotent."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        NPS_ANSWERED = "nps.answered", "NPS answered"
        CHALLENGE_COMPLETED = "challenge.completed", "Challenge completed"
        REVIEW_WRITTEN = "review.written", "Review written"
        SOCIAL_SHARE = "social.shared", "Social share"
        REFERENCE_GIVEN = "reference.given", "Reference given"
        REFERRAL_MADE = "referral.made", "Referral made"
        CASE_STUDY = "case_study.published", "Case study"
        SPEAKING = "speaking.done", "Speaking"
        EVENT_ATTENDED = "event.attended", "Event attended"
        PROGRAM_JOINED = "program.joined", "Program joined"
        IDEA_SUBMITTED = "idea.submitted", "Idea submitted"
        REWARD_REDEEMED = "reward.redeemed", "Reward redeemed"
        POINTS_AWARDED = "points.awarded", "Points awarded"
        STAGE_CHANGED = "stage.changed", "Stage changed"
        ASK_LOGGED = "ask.logged", "Ask logged"
        EMAIL_SENT = "email.sent", "Email sent"
        LOGIN = "hub.login", "Hub login"

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(max_length=50, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    points = models.IntegerField(default=0)
    source = models.CharField(
        max_length=50, blank=True, help_text="module or integration that wrote it"
    )
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at"]),
            models.Index(fields=["account", "-occurred_at"]),
            models.Index(fields=["kind", "-occurred_at"]),
        ]
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d}"

    @property
    def label(self) -> str:
        try:
            return self.Kind(self.kind).label
        except ValueError:
            return self.kind.replace(".", " ").replace("_", " ").capitalize()


class DomainEvent(models.Model):
    """Transactional outbox: a domain event written in the same transaction as the change it
    reports, and handed to subscribers (automations, webhooks) only after that commit."""

    type = models.CharField(max_length=80, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} #{self.pk}"
