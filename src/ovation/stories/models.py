import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from ovation.core.models import TimeStampedModel
from ovation.directory.models import Account, Contact, Industry, Product


class Story(TimeStampedModel):
    """A customer story with the customer as the hero (seed 001): their title, their result, their
    words. Sales only ever see a story the customer approved, word for word, with a live usage
    right for the channel."""

    class Kind(models.TextChoices):
        QUOTE = "quote", "Quote"
        TESTIMONIAL = "testimonial", "Testimonial"
        CASE_STUDY = "case_study", "Case study"
        REVIEW = "review", "Review"
        VIDEO = "video", "Video"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Waiting for the customer"
        CHANGES_REQUESTED = "changes_requested", "Customer asked for changes"
        APPROVED = "approved", "Approved by the customer"
        WITHDRAWN = "withdrawn", "Withdrawn"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.QUOTE)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="The customer's words, exactly as they approve them.")
    result = models.CharField(
        max_length=300, blank=True, help_text="Their result, e.g. 'closed the books in 3 days'"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="stories")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    hero_title = models.CharField(
        max_length=200, blank=True, help_text="The hero's job title when they said it"
    )
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.SET_NULL)
    products = models.ManyToManyField(Product, blank=True)
    persona = models.CharField(max_length=20, choices=Contact.Persona.choices, blank=True)
    tags = models.CharField(
        max_length=300, blank=True, help_text="Comma-separated topics, e.g. ROI, migration"
    )
    link = models.URLField(blank=True, help_text="Video or review page")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    approved_text_hash = models.CharField(max_length=64, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    customer_note = models.TextField(blank=True, help_text="What the customer asked to change")
    facets_text = models.TextField(
        blank=True,
        editable=False,
        help_text="Industry, products, company, persona and hero name, for search",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "stories"

    def __str__(self):
        return self.title

    @staticmethod
    def text_hash(title: str, body: str, result: str) -> str:
        return hashlib.sha256(f"{title}\n{body}\n{result}".encode()).hexdigest()

    @property
    def is_text_approved(self) -> bool:
        return self.status == self.Status.APPROVED and self.approved_text_hash == self.text_hash(
            self.title, self.body, self.result
        )

    @property
    def attribution(self) -> str:
        parts = [
            self.contact.full_name,
            self.hero_title or self.contact.title,
            self.account.name if self.account else "",
        ]
        return ", ".join(p for p in parts if p)


class UsageRight(models.Model):
    """Permission to use a story in one channel, until an optional expiry date."""

    class Channel(models.TextChoices):
        WEB = "web", "Website"
        SALES_DECK = "sales_deck", "Sales deck"
        SALES_EMAIL = "sales_email", "Sales email"
        PRESS = "press", "Press"
        SOCIAL = "social", "Social media"

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="rights")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    expires_on = models.DateField(null=True, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "channel"], name="one_right_per_channel")
        ]
        indexes = [models.Index(fields=["channel", "expires_on"])]

    def __str__(self):
        return f"{self.story_id} {self.channel} until {self.expires_on or 'forever'}"

    def is_live(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.expires_on is None or self.expires_on >= on


class StoryUse(models.Model):
    """One use of a story by staff (copied into an email, a deck...). Counts toward the hero's
    recognition, shown in the hub."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="uses")
    channel = models.CharField(max_length=20, choices=UsageRight.Channel.choices)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(max_length=300, blank=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-used_at"]
        indexes = [models.Index(fields=["story", "-used_at"])]

    def __str__(self):
        return f"{self.story_id} used in {self.channel}"
