"""The advocate hub: sign-in tokens, challenges (the asks), submissions and their review,
levels, badges, hub profiles (motivations, leaderboard visibility, communication preferences)
and invitations. Points never live here: they move through `ovation.ledger`."""

import hashlib
import hmac
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ovation.directory.models import Contact, Industry, Region

# --- Sign-in -----------------------------------------------------------------------------------


def token_digest(raw: str) -> str:
    """Keyed hash of a sign-in code or link secret: the database never holds either, and a
    leaked table cannot be brute-forced offline without the SECRET_KEY."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"hub-login:{raw}".encode(), hashlib.sha256
    ).hexdigest()


class HubLoginToken(models.Model):
    """One emailed sign-in: a short code typed in the browser that asked for it, and a link
    secret for the magic link. Both are stored only as keyed hashes. Either one signs in once
    (`used_at` is set by a conditional UPDATE), within `expires_at`; a code allows a few wrong
    guesses (`attempts`) before the token is burnt."""

    MAX_ATTEMPTS = 5
    LIFETIME_SECONDS = 600

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_login_tokens"
    )
    code_hash = models.CharField(max_length=64)
    link_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"login token for {self.user_id}"

    @staticmethod
    def new_code() -> str:
        # 8 digits (10^8): with 5 attempts per token and rate limits, guessing is hopeless.
        return f"{secrets.randbelow(10**8):08d}"

    @staticmethod
    def new_link_secret() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return (
            self.used_at is None
            and self.expires_at > timezone.now()
            and self.attempts < self.MAX_ATTEMPTS
        )


# --- Levels and badges -------------------------------------------------------------------------


class Level(models.Model):
    """A named rank reached at `threshold` lifetime points (spending never lowers it)."""

    name = models.CharField(max_length=60, unique=True)
    threshold = models.PositiveIntegerField(unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["threshold"]

    def __str__(self):
        return f"{self.name} ({self.threshold}+)"


BADGE_ARTWORK = [
    ("first-steps", "First steps"),
    ("rocket", "Rocket"),
    ("handshake", "Handshake"),
    ("megaphone", "Megaphone"),
    ("star", "Star"),
    ("brain", "Brain"),
    ("crown", "Crown"),
    ("lightbulb", "Light bulb"),
    ("trophy", "Trophy"),
    ("heart", "Heart"),
]


class Badge(models.Model):
    """A recognition an advocate earns by a rule (evaluated when they do something) or that a
    manager awards by hand. Artwork is one of the SVGs shipped in `hub/static/hub/badges/`."""

    class Rule(models.TextChoices):
        MANUAL = "manual", "Awarded by hand"
        FIRST_CHALLENGE = "first_challenge", "Completed N challenges"
        FIRST_REFERRAL = "first_referral", "Made N referrals"
        REFERENCES = "references", "Gave N references"
        CAB_MEMBER = "cab_member", "Joined the customer advisory board"
        QUIZ_MASTER = "quiz_master", "Aced N quizzes"
        REVIEWER = "reviewer", "Wrote N reviews"
        SPEAKER = "speaker", "Spoke N times"
        LIFETIME_POINTS = "lifetime_points", "Earned N lifetime points"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=250)
    artwork = models.CharField(max_length=30, choices=BADGE_ARTWORK, default="star")
    rule = models.CharField(max_length=30, choices=Rule.choices, default=Rule.MANUAL)
    threshold = models.PositiveIntegerField(default=1, help_text="N in the rule")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def artwork_path(self) -> str:
        return f"hub/badges/{self.artwork}.svg"


class BadgeAward(models.Model):
    """A badge held by a contact: at most once (unique), so awarding is idempotent.
    `celebrated_at` is set once the hub has shown the "you earned it" banner."""

    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="awards")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="badge_awards")
    awarded_at = models.DateTimeField(default=timezone.now)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=250, blank=True)
    celebrated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [
            models.UniqueConstraint(fields=["badge", "contact"], name="badge_award_once")
        ]

    def __str__(self):
        return f"{self.badge_id} -> {self.contact_id}"


# --- Challenges --------------------------------------------------------------------------------


class Motivator(models.TextChoices):
    """Seed 003's motivators; each challenge names the ones it appeals to."""

    PURPOSE = "purpose", "Purpose"
    SAY = "say", "Having a say"
    SPOTLIGHT = "spotlight", "Spotlight"
    PEERS = "peers", "Peer connection"
    PROBLEM_SOLVING = "problem_solving", "Problem-solving"
    MASTERY = "mastery", "Mastery"
    RECOGNITION = "recognition", "Recognition"
    REWARD = "reward", "Reward"


class Challenge(models.Model):
    """An ask in the hub: what to do, why it matters, what it earns, who sees it and how it
    is checked. `completions_count` reserves places against `total_limit` with a conditional
    UPDATE, so a limited challenge never over-fills under concurrency."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Write a review"
        SOCIAL_SHARE = "social_share", "Social share"
        REFERRAL = "referral", "Referral"
        REFERENCE_CALL = "reference_call", "Reference call"
        CASE_STUDY = "case_study", "Case study"
        WEBINAR = "webinar", "Webinar"
        SPEAKING = "speaking", "Speaking slot"
        PANEL = "panel", "Panel"
        MEDIA_INTERVIEW = "media_interview", "Media interview"
        EVENT = "event", "Event attendance"
        CAB = "cab", "Advisory board / user group"
        BETA = "beta", "Beta program"
        FEEDBACK = "feedback", "Product feedback / survey"
        LEARNING = "learning", "Learning module"
        QUIZ = "quiz", "Quiz / puzzle"
        CUSTOM = "custom", "Custom"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Approval(models.TextChoices):
        AUTO = "auto", "Automatic"
        REVIEW = "review", "Reviewed by a manager"

    class Proof(models.TextChoices):
        NONE = "none", "None"
        URL = "url", "A link"
        TEXT = "text", "A short text"
        FILE = "file", "A file upload"

    EFFORT_CHOICES = [
        (2, "2 minutes"),
        (5, "5 minutes"),
        (15, "15 minutes"),
        (30, "30 minutes"),
        (60, "1 hour"),
        (240, "Half a day"),
        (480, "A day"),
    ]

    title = models.CharField(max_length=160)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.CUSTOM)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    summary = models.CharField(max_length=240, blank=True, help_text="One line on the card")
    body = models.TextField(blank=True, help_text="Markdown")
    body_html = models.TextField(blank=True, editable=False, help_text="sanitised render of body")
    points = models.PositiveIntegerField(default=50)
    effort_minutes = models.PositiveIntegerField(choices=EFFORT_CHOICES, default=5)
    motivators = models.JSONField(default=list, blank=True)
    is_featured = models.BooleanField(default=False)

    # What the advocate is sent to / given.
    action_url = models.URLField(
        max_length=500, blank=True, help_text="review site, webinar page, survey, course..."
    )
    action_label = models.CharField(max_length=60, blank=True)
    share_text = models.TextField(blank=True, help_text="prefilled text for social shares")
    disclosure_text = models.TextField(
        blank=True,
        help_text="incentive disclosure that review sites and the FTC require when points are offered",
    )

    # Audience (empty = everyone).
    audience_stages = models.JSONField(default=list, blank=True)
    audience_employee_bands = models.JSONField(default=list, blank=True)
    audience_industries = models.ManyToManyField(Industry, blank=True, related_name="+")
    audience_regions = models.ManyToManyField(Region, blank=True, related_name="+")
    audience_min_level = models.ForeignKey(
        Level, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience_program_ids = models.JSONField(
        default=list, blank=True, help_text="program ids (programs app); empty = no restriction"
    )

    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    per_person_limit = models.PositiveIntegerField(default=1)
    total_limit = models.PositiveIntegerField(null=True, blank=True)
    completions_count = models.PositiveIntegerField(
        default=0, help_text="submissions holding a place (pending or approved)"
    )

    approval_mode = models.CharField(max_length=10, choices=Approval.choices, default=Approval.AUTO)
    proof_kind = models.CharField(max_length=10, choices=Proof.choices, default=Proof.NONE)
    proof_instructions = models.CharField(max_length=250, blank=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        default=100, help_text="quiz / learning check: share of correct answers needed"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_featured", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_limit__isnull=True)
                | Q(completions_count__lte=models.F("total_limit")),
                name="challenge_completions_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(per_person_limit__gte=1), name="challenge_per_person_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="challenge_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_questions(self) -> bool:
        return self.kind in {self.Kind.QUIZ, self.Kind.LEARNING}

    @property
    def motivator_labels(self) -> list[str]:
        return [Motivator(m).label for m in self.motivators if m in Motivator.values]

    @property
    def places_left(self) -> int | None:
        if self.total_limit is None:
            return None
        return max(0, self.total_limit - self.completions_count)

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and (self.starts_at is None or self.starts_at <= now)
            and (self.ends_at is None or self.ends_at > now)
        )


class ChallengeQuestion(models.Model):
    """A quiz / learning-check question. With `options` it is multiple choice and
    `correct_option` is the index of the right one; without, it is a puzzle whose answer is
    compared with `answer_text` ignoring case and surrounding spaces."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=300)
    options = models.JSONField(default=list, blank=True)
    correct_option = models.PositiveSmallIntegerField(null=True, blank=True)
    answer_text = models.CharField(max_length=200, blank=True)
    explanation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.prompt

    def is_correct(self, answer: str | None) -> bool:
        if answer is None:
            return False
        answer = str(answer).strip()
        if self.options:
            return answer.isdigit() and int(answer) == self.correct_option
        return answer.casefold() == self.answer_text.strip().casefold() and bool(answer)


# --- Submissions -------------------------------------------------------------------------------

PROOF_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
PROOF_MAX_BYTES = 5 * 1024 * 1024


def proof_upload_to(instance, filename: str) -> str:
    # The stored name is random and keeps only an allowed extension: never .html or .svg.
    ext = Path(filename).suffix.lower()
    return f"hub/proofs/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class Submission(models.Model):
    """One attempt at a challenge by a contact, with its proof and review.

    A pending or approved submission holds `slot` (1..per-person limit); the unique
    constraint on (challenge, contact, slot) makes the per-person limit hold under concurrency.
    Rejected and failed attempts give their slot back (NULL)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"
        FAILED = "failed", "Not passed"

    challenge = models.ForeignKey(Challenge, on_delete=models.PROTECT, related_name="submissions")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="hub_submissions")
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    slot = models.PositiveIntegerField(null=True, blank=True)
    proof_url = models.URLField(max_length=500, blank=True)
    proof_text = models.TextField(blank=True)
    proof_file = models.FileField(upload_to=proof_upload_to, blank=True, max_length=200)
    proof_file_name = models.CharField(max_length=200, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    score_total = models.PositiveSmallIntegerField(null=True, blank=True)
    points_awarded = models.PositiveIntegerField(default=0)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["challenge", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "contact", "slot"], name="submission_slot_per_person"
            ),
            models.CheckConstraint(
                condition=Q(slot__isnull=True) | Q(status__in=["pending", "approved"]),
                name="submission_slot_only_when_holding",
            ),
        ]

    def __str__(self):
        return f"{self.challenge_id} by {self.contact_id} ({self.status})"

    @property
    def score_percent(self) -> int | None:
        if not self.score_total:
            return None
        return round(100 * (self.score or 0) / self.score_total)


class SubmissionEvent(models.Model):
    """The history of a submission: submitted, approved, rejected (with reason), failed."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=Submission.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.submission_id} {self.status}"


# --- Profiles and invitations ------------------------------------------------------------------


class HubProfile(models.Model):
    """What the hub knows about an advocate beyond the directory: leaderboard visibility,
    communication preferences, the last level celebrated, the invitation."""

    class Visibility(models.TextChoices):
        NAME = "name", "Show my name"
        ANONYMOUS = "anonymous", "Show me as “Anonymous advocate”"
        HIDDEN = "hidden", "Leave me off the leaderboard"

    class Digest(models.TextChoices):
        EACH = "each", "As soon as there is a new challenge"
        WEEKLY = "weekly", "A weekly digest"
        MONTHLY = "monthly", "A monthly digest"
        NEVER = "never", "Never (I'll visit the hub)"

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="hub_profile")
    leaderboard_visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.NAME
    )
    email_digest = models.CharField(max_length=20, choices=Digest.choices, default=Digest.WEEKLY)
    notify_on_review = models.BooleanField(
        default=True, help_text="email me when a submission is reviewed"
    )
    notify_on_badge = models.BooleanField(default=True, help_text="email me when I earn a badge")
    celebrated_level = models.ForeignKey(
        Level, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    welcome_message = models.TextField(blank=True)
    first_login_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)
    motivations_updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"hub profile of {self.contact_id}"


class MotivationAnswer(models.Model):
    """One answer of the motivations questionnaire: how much the advocate enjoys a kind of
    involvement, 0 (not for me) to 4 (love it). Read by the motivation engine through
    `hub.selectors.motivation_answers(contact=)`."""

    class Topic(models.TextChoices):
        SPEAKING = "speaking", "Speaking at events and webinars"
        WRITING = "writing", "Writing (reviews, blog posts, case studies)"
        EVENTS = "events", "Going to events and meetups"
        PRODUCT_INPUT = "product_input", "Giving product input"
        HELPING_PEERS = "helping_peers", "Helping peers"
        LEARNING = "learning", "Learning new skills"
        RECOGNITION = "recognition", "Being recognised"
        REWARDS = "rewards", "Earning rewards"

    SCALE = [
        (0, "Not for me"),
        (1, "Not really"),
        (2, "It's OK"),
        (3, "I like it"),
        (4, "I love it"),
    ]

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="hub_motivation_answers"
    )
    topic = models.CharField(max_length=30, choices=Topic.choices)
    rating = models.PositiveSmallIntegerField(choices=SCALE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "topic"], name="motivation_answer_once"),
            models.CheckConstraint(condition=Q(rating__lte=4), name="motivation_rating_0_4"),
        ]

    def __str__(self):
        return f"{self.contact_id} {self.topic}={self.rating}"
