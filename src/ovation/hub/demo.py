"""Demo hub for Acme Analytics: challenges of every type, ~200 invited advocates (users linked
to contacts), submissions in every state with history, points through the ledger, badges and
levels. All writes go through the hub services, then timestamps are spread over six months."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Case, Sum, Value, When

from ovation.activity.models import Activity
from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry, PointsBalance
from ovation.users.models import User

from . import services
from .models import (
    BadgeAward,
    Challenge,
    HubProfile,
    Level,
    Submission,
    SubmissionEvent,
)

FIRST_TITLE = "Review Acme on G2"
DISCLOSURE = "I received Acme Advocates points for writing this review. My opinions are my own."

C = Challenge.Kind
CHALLENGES = [
    {
        "title": FIRST_TITLE,
        "kind": C.REVIEW,
        "points": 250,
        "effort_minutes": 15,
        "approval_mode": "review",
        "proof_kind": "url",
        "summary": "Share an honest review with peers choosing analytics tools.",
        "body": "Peers trust peers. A short, **honest** review on G2 helps other data teams decide.\n\n"
        "1. Open G2 with the button below\n2. Write what you use Acme for and what could be better\n"
        "3. Paste the link to your review here",
        "action_url": "https://www.g2.com/products/acme-analytics/take_survey",
        "action_label": "Write on G2",
        "disclosure_text": DISCLOSURE,
        "motivators": ["spotlight", "purpose", "reward"],
        "is_featured": True,
        "proof_instructions": "Link to your published review",
    },
    {
        "title": "Rate us on Capterra",
        "kind": C.REVIEW,
        "points": 200,
        "effort_minutes": 15,
        "approval_mode": "review",
        "proof_kind": "url",
        "summary": "Two minutes of stars, a big help for small teams.",
        "body": "Capterra is where many smaller companies look first.",
        "action_url": "https://www.capterra.com/",
        "action_label": "Open Capterra",
        "disclosure_text": DISCLOSURE,
        "motivators": ["purpose", "reward"],
    },
    {
        "title": "Share our State of Analytics 2026 report",
        "kind": C.SOCIAL_SHARE,
        "points": 50,
        "effort_minutes": 2,
        "approval_mode": "auto",
        "summary": "One click: post the report your peers are talking about.",
        "share_text": "The State of Analytics 2026 is out: 62% of data teams now forecast weekly. "
        "Worth a read if you run a data team. #analytics #data",
        "action_url": "https://acme.example/state-of-analytics-2026",
        "motivators": ["spotlight", "recognition"],
        "body": "Copy the text, add your own take if you like, and post it on LinkedIn.",
    },
    {
        "title": "Celebrate your Acme certification on LinkedIn",
        "kind": C.SOCIAL_SHARE,
        "points": 60,
        "effort_minutes": 5,
        "approval_mode": "review",
        "proof_kind": "url",
        "share_text": "Just got certified on Acme Forecast! Proud of our data team.",
        "summary": "Got certified? Let your network know.",
        "motivators": ["recognition", "mastery"],
    },
    {
        "title": "Refer a peer who'd love Acme",
        "kind": C.REFERRAL,
        "points": 500,
        "effort_minutes": 5,
        "approval_mode": "review",
        "proof_kind": "text",
        "per_person_limit": 5,
        "summary": "Know a data leader drowning in spreadsheets? Introduce us.",
        "body": "Tell us who and why. We'll reach out personally and mention you sent us. "
        "You get points when they take a demo.",
        "motivators": ["peers", "purpose", "reward"],
        "proof_instructions": "Their name, company and email",
    },
    {
        "title": "Take a 30-minute reference call",
        "kind": C.REFERENCE_CALL,
        "points": 400,
        "effort_minutes": 30,
        "approval_mode": "review",
        "proof_kind": "text",
        "per_person_limit": 4,
        "summary": "Help a prospect in your industry decide with confidence.",
        "body": "A short call with a prospect in your industry. We'll brief you beforehand and never ask more than "
        "once a quarter.",
        "motivators": ["peers", "purpose", "spotlight"],
        "audience_stages": ["advocate", "champion"],
    },
    {
        "title": "Be the hero of a case study",
        "kind": C.CASE_STUDY,
        "points": 1000,
        "effort_minutes": 240,
        "approval_mode": "review",
        "proof_kind": "none",
        "total_limit": 6,
        "summary": "Your team's success story, written with you and approved by you.",
        "body": "We interview you for 45 minutes, write the story **about your team**, and you approve every word.",
        "motivators": ["spotlight", "recognition"],
        "audience_stages": ["advocate", "champion"],
    },
    {
        "title": "Co-host a webinar on forecasting",
        "kind": C.WEBINAR,
        "points": 750,
        "effort_minutes": 240,
        "approval_mode": "review",
        "total_limit": 3,
        "summary": "Share how your team forecasts: 20 minutes, live Q&A.",
        "body": "We handle slides, promotion and the recording.",
        "motivators": ["spotlight", "mastery", "peers"],
    },
    {
        "title": "Speak at Acme Summit 2026",
        "kind": C.SPEAKING,
        "points": 1000,
        "effort_minutes": 480,
        "approval_mode": "review",
        "proof_kind": "text",
        "total_limit": 8,
        "summary": "A 20-minute talk on the main stage in Amsterdam. Travel covered.",
        "body": "Tell us your talk idea in a few lines. The programme committee picks 8 customer talks.",
        "motivators": ["spotlight", "recognition", "mastery"],
        "audience_stages": ["champion", "advocate"],
    },
    {
        "title": "Join a customer panel in your region",
        "kind": C.PANEL,
        "points": 600,
        "effort_minutes": 240,
        "approval_mode": "review",
        "summary": "Three customers, one moderator, lots of good questions.",
        "motivators": ["peers", "spotlight"],
    },
    {
        "title": "Talk to a journalist about modern data teams",
        "kind": C.MEDIA_INTERVIEW,
        "points": 800,
        "effort_minutes": 60,
        "approval_mode": "review",
        "summary": "A trade publication wants practitioners, not vendors.",
        "motivators": ["spotlight", "recognition"],
        "audience_stages": ["champion"],
    },
    {
        "title": "Attend Acme Live in your city",
        "kind": C.EVENT,
        "points": 150,
        "effort_minutes": 240,
        "approval_mode": "review",
        "proof_kind": "file",
        "summary": "Meet other data leaders. Snap your badge for points.",
        "proof_instructions": "A photo of your event badge",
        "motivators": ["peers", "reward"],
    },
    {
        "title": "Apply to the Customer Advisory Board",
        "kind": C.CAB,
        "points": 300,
        "effort_minutes": 15,
        "approval_mode": "review",
        "proof_kind": "text",
        "summary": "Shape the roadmap with 12 peers, four times a year.",
        "body": "The CAB meets quarterly (remote, one day in person). You see the roadmap early and tell us "
        "what's wrong with it.",
        "motivators": ["say", "peers", "purpose"],
        "audience_stages": ["advocate", "champion"],
        "proof_instructions": "Why would you like to join?",
    },
    {
        "title": "Join the Pipelines editor beta",
        "kind": C.BETA,
        "points": 300,
        "effort_minutes": 60,
        "approval_mode": "auto",
        "summary": "Try the new visual editor before anyone else.",
        "motivators": ["say", "problem_solving", "mastery"],
        "action_url": "https://acme.example/beta/pipelines",
        "action_label": "Join the beta",
    },
    {
        "title": "5-minute survey: what should we build next?",
        "kind": C.FEEDBACK,
        "points": 100,
        "effort_minutes": 5,
        "approval_mode": "auto",
        "summary": "Your answers go straight to the product team.",
        "action_url": "https://acme.example/survey/roadmap-2026",
        "action_label": "Open the survey",
        "motivators": ["say", "purpose"],
    },
    {
        "title": "Forecast 101: learn the basics",
        "kind": C.LEARNING,
        "points": 150,
        "effort_minutes": 15,
        "approval_mode": "auto",
        "pass_mark_percent": 66,
        "summary": "A short lesson, then three questions to check it stuck.",
        "body": "## Forecasting in Acme\n\nForecasts use the **last 24 months** of history by default. "
        "Seasonality is detected automatically, and you can add drivers such as price or campaigns.\n\n"
        "> Tip: start with weekly granularity; switch to daily only for short horizons.",
        "motivators": ["mastery", "problem_solving"],
        "questions": "How much history do forecasts use by default?\n- 6 months\n* 24 months\n- 5 years\n\n"
        "Is seasonality detected automatically?\n* Yes\n- No\n\n"
        "Which granularity should you start with?\n- Daily\n* Weekly\n- Yearly",
    },
    {
        "title": "Acme trivia: how well do you know us?",
        "kind": C.QUIZ,
        "points": 100,
        "effort_minutes": 2,
        "approval_mode": "auto",
        "summary": "Five quick questions. Perfect scores count toward Quiz master.",
        "motivators": ["mastery", "reward"],
        "questions": "Which product builds data pipelines?\n- Acme Dashboards\n* Acme Pipelines\n- Acme Embedded\n\n"
        "What does Acme Governance manage?\n* Data access and lineage\n- Invoices\n- Office seating\n\n"
        "Where is Acme Summit 2026?\n- Berlin\n* Amsterdam\n- Lisbon\n\n"
        "Which product puts charts in your own app?\n- Acme Forecast\n* Acme Embedded\n\n"
        "Acme Forecast detects seasonality...\n* automatically\n- only with a paid add-on",
    },
    {
        "title": "Friday puzzle: name that metric",
        "kind": C.QUIZ,
        "points": 75,
        "effort_minutes": 5,
        "approval_mode": "auto",
        "summary": "A riddle for data people. Type your answer.",
        "motivators": ["problem_solving", "mastery"],
        "questions": "I rise when customers leave and fall when they stay. What am I?\n= churn\n? Churn rate!\n\n"
        "Revenue per user, three letters?\n= ARPU",
    },
    {
        "title": "Tell us your favourite dashboard",
        "kind": C.CUSTOM,
        "points": 120,
        "effort_minutes": 5,
        "approval_mode": "review",
        "proof_kind": "text",
        "summary": "What's the one dashboard your team can't live without?",
        "motivators": ["say", "recognition"],
        "proof_instructions": "Describe it in a few lines",
    },
    {
        "title": "Show us your best dashboard (screenshot)",
        "kind": C.CUSTOM,
        "points": 150,
        "effort_minutes": 5,
        "approval_mode": "review",
        "proof_kind": "file",
        "summary": "Anonymise the numbers, show off the design.",
        "motivators": ["spotlight", "recognition"],
    },
    {
        "title": "Holiday card design contest",
        "kind": C.CUSTOM,
        "points": 200,
        "status": "archived",
        "summary": "Last year's contest.",
    },
    {
        "title": "Beta: natural-language queries",
        "kind": C.BETA,
        "points": 400,
        "status": "draft",
        "summary": "Coming soon: ask your data in plain English.",
    },
]

REJECT_REASONS = [
    "The link goes to a login page; could you share the public URL?",
    "We couldn't find the review yet. Reviews can take a few days to appear; please resubmit then.",
    "Please add your name and company so we can credit you.",
    "The screenshot shows customer data; could you blur the numbers and upload again?",
]
TEXT_PROOFS = [
    "Introduced Jamie at Northwind, they're struggling with monthly forecasts.",
    "Talk idea: how we cut our month-end close from 6 days to 2 with Acme Pipelines.",
    "Our sales pipeline dashboard: one view, updated hourly, the whole exec team uses it.",
    "I'd love to join: we run 40 dashboards and have strong opinions on governance.",
    "Had a great call with a retailer in Lyon; they asked about embedded analytics.",
]


def already_loaded(ctx) -> bool:
    return Challenge.objects.filter(title=FIRST_TITLE).exists()


def _create_challenges(manager) -> list[Challenge]:
    from .forms import parse_questions

    created = []
    for spec in CHALLENGES:
        spec = dict(spec)
        questions = parse_questions(spec.pop("questions", ""))
        spec.setdefault("status", Challenge.Status.PUBLISHED)
        challenge = Challenge(**spec)
        created.append(
            services.challenge_save(challenge=challenge, actor=manager, questions=questions)
        )
    return created


def _advocate_contacts(count: int) -> list[Contact]:
    rank = Case(
        When(stage="champion", then=Value(0)),
        When(stage="advocate", then=Value(1)),
        default=Value(2),
    )
    preferred = list(
        Contact.objects.filter(
            is_active=True,
            user__isnull=True,
            crm_id__startswith="ACME-CON-",
            stage__in=["champion", "advocate", "promoter"],
        ).order_by(rank, "id")[:count]
    )
    if len(preferred) < count:
        preferred += list(
            Contact.objects.filter(is_active=True, user__isnull=True)
            .exclude(pk__in=[c.pk for c in preferred])
            .order_by("id")[: count - len(preferred)]
        )
    return preferred


def _answers(challenge, correct: bool, rng) -> dict[str, str]:
    answers = {}
    for q in challenge.questions.all():
        if q.options:
            right = q.correct_option
            answers[str(q.pk)] = str(right if correct else (right + 1) % len(q.options))
        else:
            answers[str(q.pk)] = q.answer_text if correct else "no idea"
    return answers


def load(ctx) -> None:
    rng = ctx.rng("hub")
    manager = User.objects.filter(email="manager@acme.test").first()
    services.hub_defaults_ensure()
    with services.emails_muted():
        with transaction.atomic():
            challenges = _create_challenges(manager)
        live = [c for c in challenges if c.status == Challenge.Status.PUBLISHED]

        count = min(200 * ctx.factor, 2000)
        contacts = _advocate_contacts(count)
        if not contacts:
            return
        messages = [
            "We loved your feedback at the last user group. Come join the advocates!",
            "Thank you for being such a great partner this year. We'd love to have you in the hub.",
            "",
        ]
        for contact in ctx.track(
            contacts, description="hub: inviting advocates", total=len(contacts)
        ):
            services.advocate_invite(
                contact=contact, invited_by=manager, message=rng.choice(messages), send_email=False
            )
        # Most have signed in; a few have not yet.
        for contact in contacts:
            if rng.random() < 0.85:
                seen = ctx.days_ago(rng, 60)
                HubProfile.objects.filter(contact=contact).update(
                    first_login_at=seen - timedelta(days=rng.randint(5, 120)),
                    last_seen_at=seen,
                    invited_at=seen - timedelta(days=rng.randint(130, 200)),
                    leaderboard_visibility=rng.choices(
                        ["name", "anonymous", "hidden"], [85, 10, 5]
                    )[0],
                )

        star = contacts[0]
        HubProfile.objects.filter(contact=star).update(leaderboard_visibility="name")
        for contact in ctx.track(contacts, description="hub: submissions", total=len(contacts)):
            is_star = contact.pk == star.pk
            activity = (
                14 if is_star else rng.choices([0, 1, 2, 4, 7, 10], [10, 20, 25, 25, 15, 5])[0]
            )
            picks = rng.sample(live, k=min(activity, len(live)))
            for challenge in picks:
                _submit(ctx, rng, challenge, contact, manager, star=is_star)

        _backdate(ctx, rng)
        _celebrate_all_but(star)
    ctx.logins.extend(logins(ctx))


def _submit(ctx, rng, challenge, contact, manager, star=False):
    from django.core.files.base import ContentFile

    from ovation.core.errors import ServiceError

    kwargs = {}
    if challenge.proof_kind == Challenge.Proof.URL:
        kwargs["proof_url"] = (
            f"https://www.linkedin.com/posts/acme-advocate-{contact.pk}-{challenge.pk}"
        )
    elif challenge.proof_kind == Challenge.Proof.TEXT:
        kwargs["proof_text"] = rng.choice(TEXT_PROOFS)
    elif challenge.proof_kind == Challenge.Proof.FILE:
        upload = ContentFile(b"%PDF-1.4 demo proof\n", name="event-badge.pdf")
        kwargs["proof_file"] = upload
    if challenge.has_questions:
        if rng.random() < 0.2 and not star:
            kwargs["answers"] = _answers(challenge, False, rng)
            try:
                services.submission_create(challenge=challenge, contact=contact, **kwargs)
            except ServiceError:
                return
        kwargs["answers"] = _answers(challenge, True, rng)
    try:
        submission = services.submission_create(challenge=challenge, contact=contact, **kwargs)
    except ServiceError:
        return
    if submission.status != Submission.Status.PENDING:
        return
    roll = rng.random()
    if star:
        roll = (
            0.1 if challenge.kind not in (Challenge.Kind.SPEAKING, Challenge.Kind.CUSTOM) else 0.95
        )
        if challenge.kind == Challenge.Kind.REVIEW and challenge.points == 200:
            roll = 0.8
    if roll < 0.65:
        services.submission_approve(submission=submission, actor=manager)
    elif roll < 0.8:
        services.submission_reject(
            submission=submission, actor=manager, reason=rng.choice(REJECT_REASONS)
        )
    # else: stays pending in the review queue


def _backdate(ctx, rng) -> None:
    """Spread the history over six months (a third in the current month for the monthly board)."""
    now = ctx.now
    subs = list(Submission.objects.all().only("id", "status"))
    for sub in subs:
        if sub.status == Submission.Status.PENDING:
            created = now - timedelta(days=rng.uniform(0.1, 6))
        elif rng.random() < 0.33:
            created = now - timedelta(days=rng.uniform(0.2, max(0.3, now.day - 1)))
        else:
            created = now - timedelta(days=rng.uniform(7, 180))
        reviewed = created + timedelta(hours=rng.uniform(0.5, 40))
        reviewed = min(reviewed, now)
        Submission.objects.filter(pk=sub.pk).update(
            created_at=created,
            reviewed_at=reviewed if sub.status != Submission.Status.PENDING else None,
        )
        events = list(SubmissionEvent.objects.filter(submission_id=sub.pk).order_by("id"))
        for i, event in enumerate(events):
            SubmissionEvent.objects.filter(pk=event.pk).update(at=created if i == 0 else reviewed)
        LedgerEntry.objects.filter(idempotency_key=f"submission:{sub.pk}:approve").update(
            created_at=reviewed
        )
        Activity.objects.filter(external_id=f"submission:{sub.pk}:approve").update(
            occurred_at=reviewed
        )
    for award in BadgeAward.objects.all().only("id", "contact_id"):
        last = (
            Submission.objects.filter(
                contact_id=award.contact_id, status=Submission.Status.APPROVED
            )
            .order_by("-reviewed_at")
            .values_list("reviewed_at", flat=True)
            .first()
        )
        if last:
            BadgeAward.objects.filter(pk=award.pk).update(awarded_at=last)


def _celebrate_all_but(star: Contact) -> None:
    """Everyone has seen their banners except the demo advocate, who gets one on first visit."""
    from django.utils import timezone

    now = timezone.now()
    BadgeAward.objects.exclude(contact=star).update(celebrated_at=now)
    latest = BadgeAward.objects.filter(contact=star).order_by("-awarded_at").first()
    BadgeAward.objects.filter(contact=star).exclude(pk=latest.pk if latest else None).update(
        celebrated_at=now
    )
    levels = list(Level.objects.order_by("threshold"))
    for profile in HubProfile.objects.exclude(contact=star).select_related("contact__points"):
        lifetime = getattr(getattr(profile.contact, "points", None), "lifetime", 0)
        level = None
        for lvl in levels:
            if lifetime >= lvl.threshold:
                level = lvl
        if level is not None:
            HubProfile.objects.filter(pk=profile.pk).update(celebrated_level=level)


def _star_email() -> str | None:
    first = (
        HubProfile.objects.filter(invited_by__email="manager@acme.test")
        .order_by("id")
        .values_list("contact__email", flat=True)
        .first()
    )
    return first


def logins(ctx) -> list[str]:
    email = _star_email()
    if not email:
        return []
    return [
        f"Advocate hub: http://127.0.0.1:8000/hub/ — sign in as {email}; "
        "the code is printed in the server console"
    ]


def reset(ctx) -> None:
    contact_ids = list(HubProfile.objects.values_list("contact_id", flat=True))
    sub_ids = list(Submission.objects.values_list("id", flat=True))
    LedgerEntry.objects.filter(source_type="hub.submission").delete()
    Activity.objects.filter(external_id__in=[f"submission:{i}:approve" for i in sub_ids]).delete()
    Activity.objects.filter(kind__in=["badge.earned", "hub.login"]).delete()
    Submission.objects.all().delete()
    Challenge.objects.all().delete()
    BadgeAward.objects.all().delete()
    # Balances are a cache of the ledger: rebuild them for the advocates touched.
    for contact_id in contact_ids:
        sums = LedgerEntry.objects.filter(contact_id=contact_id).aggregate(
            s=Sum("amount"), l=Sum("lifetime_delta")
        )
        PointsBalance.objects.filter(contact_id=contact_id).update(
            spendable=sums["s"] or 0, lifetime=sums["l"] or 0
        )
    users = User.objects.filter(role=User.Role.ADVOCATE, contact__in=contact_ids)
    Contact.objects.filter(pk__in=contact_ids).update(user=None)
    users.delete()
    HubProfile.objects.all().delete()
