"""Programs and community: advisory boards, user groups, councils, betas and champions clubs,
their members, meetings and events with RSVPs and attendance, ideas with votes and status
("having a say"), the "you said, we did" notices, and structured input at CAB sessions.

Invariants the database keeps: one membership per (program, contact), one RSVP and one
invitation per (event, contact), one vote per (idea, contact), one answer set per (question
set, contact), one notice per dedupe key. Seats (program capacity, event capacity) are taken
while holding the program's / event's row lock, see services."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import timezone

from ovation.directory.models import Contact, Industry, Region


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class Program(models.Model):
    """A community program customers can belong to: a customer advisory board, a user group
    (by region or topic), a council, a beta/early-access program, a champions club.

    Eligibility: empty lists mean "anyone"; otherwise the contact's stage must be in
    `eligible_stages`, their account's industry/region in the chosen ones and its size band in
    `eligible_employee_bands`. `capacity` null means unlimited; extra approved members wait in
    order on the waitlist."""

    class Kind(models.TextChoices):
        CAB = "cab", "Customer advisory board"
        USER_GROUP = "user_group", "User group"
        COUNCIL = "council", "Council"
        BETA = "beta", "Beta / early access"
        CHAMPIONS = "champions", "Champions club"
        CUSTOM = "custom", "Custom"

    class Approval(models.TextChoices):
        MANUAL = "manual", "A manager approves each application"
        AUTO = "auto", "Eligible applicants join at once (while seats last)"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    tagline = models.CharField(max_length=200, blank=True, help_text="One line on the card")
    description = models.TextField(blank=True, help_text="Markdown")
    description_html = models.TextField(blank=True, editable=False)
    topic = models.CharField(max_length=120, blank=True, help_text="user groups by topic")
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="user groups by region",
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="empty = unlimited")
    is_accepting_applications = models.BooleanField(default=True)
    approval_mode = models.CharField(
        max_length=10, choices=Approval.choices, default=Approval.MANUAL
    )
    eligible_stages = models.JSONField(default=list, blank=True)
    eligible_employee_bands = models.JSONField(default=list, blank=True)
    eligible_industries = models.ManyToManyField(Industry, blank=True, related_name="+")
    eligible_regions = models.ManyToManyField(Region, blank=True, related_name="+")
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True)
                | models.Q(term_start__isnull=True)
                | models.Q(term_end__gte=models.F("term_start")),
                name="program_term_order",
            )
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A contact's place in a program, from nomination or application to leaving."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Member"

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        APPLIED = "applied", "Applied"
        ACTIVE = "active", "Active"
        WAITLISTED = "waitlisted", "Waitlisted"
        DECLINED = "declined", "Declined"
        LEFT = "left", "Left"

    PENDING = (Status.NOMINATED, Status.APPLIED)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    note = models.TextField(blank=True, help_text="why they apply / why the CSM nominates")
    decision_reason = models.CharField(max_length=300, blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["program", "-role", "contact__last_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "contact"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["program", "status", "waitlisted_at"])]

    def __str__(self):
        return f"{self.contact} in {self.program} ({self.status})"


class Event(models.Model):
    """A meeting or event, for one program or standalone. Times are stored in UTC; `timezone`
    is the zone it happens in (shown beside each viewer's own zone)."""

    class Kind(models.TextChoices):
        CAB_SESSION = "cab_session", "CAB session"
        MEETING = "meeting", "Program meeting"
        WEBINAR = "webinar", "Webinar"
        CONFERENCE = "conference", "Conference"
        DINNER = "dinner", "Dinner"
        MEETUP = "meetup", "Meetup"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    title = models.CharField(max_length=160)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA zone of the event")
    virtual_url = models.URLField(max_length=500, blank=True)
    venue = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    agenda = models.TextField(blank=True, help_text="Markdown")
    agenda_html = models.TextField(blank=True, editable=False)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="empty = unlimited")
    is_open_to_all = models.BooleanField(
        default=False, help_text="any advocate may RSVP (else program members and invitees)"
    )
    attendance_points = models.PositiveIntegerField(default=50)
    minutes = models.TextField(blank=True, help_text="Markdown, shared with members")
    minutes_html = models.TextField(blank=True, editable=False)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="event_ends_after_start",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_utc(self.timezone)

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class Invitation(models.Model):
    """An invitation to an event: one ask drawn from the shared ask budget (channel program)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    ask_id = models.BigIntegerField(null=True, blank=True, help_text="references.Ask id")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-invited_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "contact"], name="invitation_unique")
        ]

    def __str__(self):
        return f"{self.contact} invited to {self.event}"


class Rsvp(models.Model):
    """A contact's answer to an event and, afterwards, whether they attended. A "yes" beyond
    the event's capacity waits (`is_waitlisted`) and is promoted in order when a seat frees."""

    class Response(models.TextChoices):
        YES = "yes", "Yes"
        MAYBE = "maybe", "Maybe"
        NO = "no", "No"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="rsvps")
    response = models.CharField(max_length=5, choices=Response.choices)
    is_waitlisted = models.BooleanField(default=False)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(default=timezone.now)
    attended = models.BooleanField(null=True, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["event", "responded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "contact"], name="rsvp_unique")]
        indexes = [models.Index(fields=["event", "response", "is_waitlisted"])]

    def __str__(self):
        return f"{self.contact}: {self.response} to {self.event}"

    @property
    def is_confirmed(self) -> bool:
        return self.response == self.Response.YES and not self.is_waitlisted


class Idea(models.Model):
    """An idea or piece of feedback from a customer. The product team sets its status with a
    public reason; `vote_count`/`comment_count` are kept with F() in the same transaction as
    the vote or comment rows."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        UNDER_REVIEW = "under_review", "Under review"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        DECLINED = "declined", "Declined"

    OPEN = (Status.NEW, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS)

    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    author = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.NEW, db_index=True
    )
    status_reason = models.TextField(blank=True, help_text="public: shown to customers")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-vote_count", "-created_at", "id"]
        indexes = [models.Index(fields=["status", "-vote_count"])]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class IdeaVote(models.Model):
    """One vote per person per idea (unique constraint)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="idea_votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "contact"], name="idea_vote_unique")]

    def __str__(self):
        return f"{self.contact} +1 {self.idea}"


class IdeaComment(models.Model):
    """A comment on an idea, by a customer (contact) or the product team (staff user)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="idea_comments"
    )
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"comment on {self.idea}"


class IdeaStatusChange(models.Model):
    """History of an idea's status, with the public reason given each time."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self):
        return f"{self.idea}: {self.from_status} -> {self.to_status}"


class Notice(models.Model):
    """A message for one advocate in the hub ("you said, we did", "welcome to the CAB",
    "minutes are available"). `dedupe_key` makes each notice exactly-once."""

    class Kind(models.TextChoices):
        YOU_SAID_WE_DID = "you_said_we_did", "You said, we did"
        PROGRAM = "program", "Program"
        EVENT = "event", "Event"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="program_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    idea = models.ForeignKey(
        Idea, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    dedupe_key = models.CharField(max_length=160, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"])]

    def __str__(self):
        return f"{self.title} → {self.contact}"


class QuestionSet(models.Model):
    """Structured input collected at a CAB session (or any event): a few questions on a
    1-5 scale, a choice, or free text. Members answer once; aggregated results can be shared."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="question_set")
    title = models.CharField(max_length=160)
    intro = models.TextField(blank=True)
    is_open = models.BooleanField(default=True)
    results_shared = models.BooleanField(default=False, help_text="members see the results")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.title


class Question(models.Model):
    """One question of a set."""

    class Kind(models.TextChoices):
        SCALE = "scale", "Scale 1-5"
        CHOICE = "choice", "Single choice"
        TEXT = "text", "Free text"

    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCALE)
    options = models.JSONField(default=list, blank=True, help_text="choices, for single choice")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.prompt


class QuestionResponse(models.Model):
    """One contact's answers to a question set: {question id: value} (int for scale and
    choice index, string for text)."""

    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.CASCADE, related_name="responses"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question_set", "contact"], name="qresponse_unique")
        ]

    def __str__(self):
        return f"{self.contact} → {self.question_set}"
