"""Demo community for Acme Analytics: a customer advisory board with quarterly sessions,
minutes and structured input, EMEA and North America user groups, a beta with a waitlist, a
champions club and a council; upcoming and past events with RSVPs and attendance (activities
and points through the ledger); 50 ideas in every state with votes, comments and "you said,
we did" notices. Advocates with a hub login are used first, so the demo hub has content."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from ovation.activity.models import Activity
from ovation.directory.models import Contact, Region
from ovation.hub.rendering import render_markdown
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import ledger_credit
from ovation.users.models import User

from .models import (
    Event,
    Idea,
    IdeaComment,
    IdeaStatusChange,
    IdeaVote,
    Invitation,
    Membership,
    Notice,
    Program,
    Question,
    QuestionResponse,
    QuestionSet,
    Rsvp,
)

CAB_NAME = "Customer Advisory Board 2026"
MS = Membership.Status

IDEAS = [
    "Export dashboards to PDF for board packs",
    "Slack alerts when a KPI crosses a threshold",
    "Dark mode for the dashboard editor",
    "Row-level security by Salesforce territory",
    "Scheduled email digests per team",
    "Forecast confidence bands on every chart",
    "Snowflake connector with key-pair auth",
    "Keyboard shortcuts in the query editor",
    "Version history for dashboards",
    "Embed charts in Confluence",
    "Natural-language questions over a dataset",
    "Audit log export to our SIEM",
    "Bulk edit of metric definitions",
    "Mobile app offline mode",
    "Currency conversion at report time",
    "Annotations on time series",
    "Data freshness badge on every tile",
    "Terraform provider for workspaces",
    "SAML group to role mapping",
    "Usage analytics for admins",
    "Comment threads on charts",
    "Fiscal calendar support (4-4-5)",
    "Drill-through from summary to rows",
    "Anomaly detection on revenue metrics",
    "Share a dashboard with an expiring link",
    "Excel add-in that refreshes live",
    "What-if scenarios in forecasts",
    "Custom colour palettes per brand",
    "API rate limits visible in the console",
    "Certified datasets badge",
    "Google Sheets sync both ways",
    "Cohort retention chart type",
    "Goal tracking with owners",
    "Multi-language dashboards",
    "Query cost estimate before running",
    "Dependency graph of metrics",
    "Pin favourite dashboards to home",
    "Weekly forecast accuracy report",
    "dbt metrics import",
    "Row limits warning on large exports",
    "Accessibility: screen-reader table view",
    "Copy a dashboard between workspaces",
    "Geo maps by postal code",
    "Approval workflow for metric changes",
    "Sandbox workspace for training",
    "Teams notifications",
    "Sankey chart type",
    "Parameterised dashboards via URL",
    "Cost allocation by department",
    "On-prem gateway health page",
]
DESCRIPTIONS = [
    "Our finance team rebuilds this by hand every month; it takes two days.",
    "Would save my analysts hours a week and stop the copy-paste errors.",
    "Our auditors keep asking for this. Today we answer with screenshots.",
    "Every board meeting someone asks for it. It would make Acme the obvious choice.",
    "We looked at a second tool just for this. I would rather keep everything in Acme.",
]
COMMENTS = [
    "Yes please! We need this for the quarterly close.",
    "Same here: our CFO asked for it last week.",
    "+1, and it should respect row-level security.",
    "Would love to beta test this.",
    "We built a workaround with the API but it breaks often.",
    "This would help our field teams a lot.",
]
REASONS = {
    "under_review": "Thanks! The product team is looking at how many customers need this.",
    "planned": "Planned for the second half of the year; we'll share designs with the CAB first.",
    "in_progress": "In development now. Beta members will get it first.",
    "shipped": "Live for every customer since release {v}. Thank you for pushing for it!",
    "declined": "Not for now: it overlaps with {alt}, which we recommend instead.",
}
STATUS_PLAN = (
    ["new"] * 12
    + ["under_review"] * 10
    + ["planned"] * 8
    + ["in_progress"] * 6
    + ["shipped"] * 8
    + ["declined"] * 6
)
CAB_MINUTES = """## Attendees
{n} members, Acme's CPO and two product managers.

## What we heard
- Board reporting is still the biggest time sink: **PDF export** is the top ask.
- Forecast accuracy matters more than new chart types.
- Security reviews slow down every rollout: customers want SAML group mapping.

## What we agreed
1. PDF export moves to *planned*; the CAB reviews designs in the next session.
2. Forecast 2.0 beta opens to CAB members first.
3. Next session: roadmap deep dive and dinner.
"""


def already_loaded(ctx) -> bool:
    return Program.objects.filter(name=CAB_NAME).exists()


def _local(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def _pool():
    """Active contacts with a hub login first, then the most advanced stages."""
    stage_rank = Case(
        When(stage="champion", then=Value(0)),
        When(stage="advocate", then=Value(1)),
        When(stage="promoter", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return list(
        Contact.objects.filter(is_active=True, crm_id__startswith="ACME-CON-")
        .select_related("account", "account__region")
        .annotate(
            has_user=Case(
                When(user__isnull=False, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            rank=stage_rank,
        )
        .order_by("has_user", "rank", "id")[:600]
    )


def _star() -> Contact | None:
    from ovation.hub.models import HubProfile

    profile = (
        HubProfile.objects.filter(invited_by__email="manager@acme.test")
        .select_related("contact")
        .order_by("id")
        .first()
    )
    return profile.contact if profile else None


def load(ctx) -> None:
    rng = ctx.rng("programs")
    pool = _pool()
    if len(pool) < 60:
        return
    manager = User.objects.filter(email="manager@acme.test").first()
    csms = list(User.objects.filter(role=User.Role.CSM))
    now = ctx.now
    today = now.date()
    star = _star()
    hub_people = [c for c in pool if c.user_id]
    regions = {r.name: r for r in Region.objects.all()}

    def pick(candidates, n, must=()):
        chosen = [c for c in must if c is not None]
        rest = [c for c in candidates if c not in chosen]
        rng.shuffle(rest)
        return chosen + rest[: max(n - len(chosen), 0)]

    with transaction.atomic():
        programs = {}

        def program(key, **fields):
            fields.setdefault("description_html", render_markdown(fields.get("description", "")))
            stages = fields.pop("stages", [])
            region_rule = fields.pop("region_rule", None)
            p = Program.objects.create(created_by=manager, eligible_stages=stages, **fields)
            if region_rule:
                p.eligible_regions.set([region_rule])
            programs[key] = p
            return p

        year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
        program(
            "cab",
            name=CAB_NAME,
            kind="cab",
            tagline="Twelve customers who shape the roadmap with our CPO, four times a year.",
            description=(
                "The **Customer Advisory Board** gives you a genuine say in where Acme goes "
                "next: early access to the roadmap, direct time with our CPO and product "
                "leads, and peers from other data teams.\n\n- Four sessions a year (two "
                "online, two in person)\n- Structured input on priorities\n- Minutes and "
                '"you said, we did" follow-ups after every session'
            ),
            capacity=12,
            stages=["advocate", "champion"],
            term_start=year_start,
            term_end=year_end,
        )
        program(
            "emea",
            name="EMEA User Group",
            kind="user_group",
            tagline="Meet data teams across Europe, the Middle East and Africa.",
            description="Quarterly meetups in a different city, talks by customers, and a beer.",
            region=regions.get("EMEA"),
            region_rule=regions.get("EMEA"),
            approval_mode="auto",
        )
        program(
            "na",
            name="North America User Group",
            kind="user_group",
            tagline="Peers, practical talks and pizza, from Toronto to Austin.",
            description="Meetups and webinars run by customers for customers.",
            region=regions.get("North America"),
            region_rule=regions.get("North America"),
            approval_mode="auto",
        )
        program(
            "beta",
            name="Forecast 2.0 Beta",
            kind="beta",
            tagline="Try the new forecasting engine first and tell us what breaks.",
            description=(
                "Be our best beta: early builds of Forecast 2.0, a private Slack channel with "
                "the engineers, and a fortnightly feedback call."
            ),
            capacity=25,
            stages=["promoter", "advocate", "champion"],
            term_start=today - timedelta(days=60),
            term_end=today + timedelta(days=120),
        )
        program(
            "champions",
            name="Acme Champions Club",
            kind="champions",
            tagline="Our most active advocates: spotlight, swag and the annual summit.",
            description="Invitation and application. Champions speak at events and mentor new users.",
            stages=["champion"],
        )
        program(
            "council",
            name="Data Leaders Council",
            kind="council",
            tagline="Heads of data pursuing a shared purpose: managing data like a product.",
            description="A council of practitioners who publish playbooks for the profession.",
            capacity=15,
            stages=["advocate", "champion"],
            is_accepting_applications=False,
        )

        memberships, activities = [], []

        def join(prog, contact, *, role="member", status=MS.ACTIVE, days_ago=200, note=""):
            at = now - timedelta(days=days_ago, hours=rng.randint(0, 20))
            m = Membership(
                program=prog,
                contact=contact,
                role=role,
                status=status,
                note=note,
                requested_at=at - timedelta(days=3),
                decided_at=at if status in (MS.ACTIVE, MS.WAITLISTED) else None,
                decided_by=manager if status in (MS.ACTIVE, MS.WAITLISTED) else None,
                joined_at=at if status == MS.ACTIVE else None,
                waitlisted_at=at if status == MS.WAITLISTED else None,
                term_start=(prog.term_start or at.date()) if status == MS.ACTIVE else None,
                term_end=prog.term_end if status == MS.ACTIVE else None,
                nominated_by=rng.choice(csms) if status == MS.NOMINATED and csms else None,
            )
            memberships.append(m)
            if status == MS.ACTIVE:
                activities.append(
                    Activity(
                        kind="program.joined",
                        contact=contact,
                        account_id=contact.account_id,
                        occurred_at=at,
                        source="programs",
                        data={
                            "program_id": prog.pk,
                            "program_kind": prog.kind,
                            "program_name": prog.name,
                        },
                    )
                )
            return m

        advanced = [c for c in pool if c.stage in ("advocate", "champion")]
        champions = [c for c in pool if c.stage == "champion"]
        cab_members = pick(
            advanced[:120],
            11,
            must=[star] if star and star.stage in ("advocate", "champion") else [],
        )
        for i, c in enumerate(cab_members):
            join(
                programs["cab"],
                c,
                role="chair" if i == 1 else "member",
                days_ago=rng.randint(90, 300),
            )
        for c in pick([c for c in advanced if c not in cab_members], 3):
            join(
                programs["cab"],
                c,
                status=rng.choice([MS.APPLIED, MS.NOMINATED]),
                days_ago=rng.randint(1, 10),
                note="Runs a 30-person analytics team and wants a say in forecasting.",
            )
        used = set()
        for key, region in (("emea", "EMEA"), ("na", "North America")):
            people = [
                c
                for c in pool
                if c.account and c.account.region and c.account.region.name == region
            ]
            for c in pick(people, 28 + rng.randint(0, 10)):
                join(programs[key], c, days_ago=rng.randint(10, 400))
                used.add(c.pk)
        beta_pool = [c for c in pool if c.stage in ("promoter", "advocate", "champion")]
        beta = pick(beta_pool[:200], 32, must=[star] if star else [])
        for i, c in enumerate(beta):
            if i < 25:
                join(programs["beta"], c, days_ago=rng.randint(5, 60))
            elif i < 29:
                join(programs["beta"], c, status=MS.WAITLISTED, days_ago=29 - i)
            else:
                join(
                    programs["beta"],
                    c,
                    status=MS.APPLIED,
                    days_ago=rng.randint(0, 4),
                    note="We forecast 400 SKUs weekly and would love to test.",
                )
        for c in pick(champions, min(30, len(champions))):
            join(programs["champions"], c, days_ago=rng.randint(20, 500))
        for i, c in enumerate(pick(advanced[:80], 8)):
            join(
                programs["council"],
                c,
                role="chair" if i == 0 else "member",
                days_ago=rng.randint(100, 500),
            )
        # A leaver, for history.
        if memberships:
            leaver = memberships[-1]
            leaver.status, leaver.left_at, leaver.joined_at = (
                MS.LEFT,
                now - timedelta(days=20),
                now - timedelta(days=200),
            )
        Membership.objects.bulk_create(memberships, batch_size=1000, ignore_conflicts=True)
        Activity.objects.bulk_create(activities, batch_size=1000)

        active = {
            key: [m.contact for m in memberships if m.program_id == p.pk and m.status == MS.ACTIVE]
            for key, p in programs.items()
        }

        # --- events ------------------------------------------------------------------------
        def event(prog, title, kind, zone, day, hour, minutes=120, **extra):
            starts = _local(zone, day, hour)
            ev = Event.objects.create(
                program=prog,
                title=title,
                kind=kind,
                timezone=zone,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes),
                agenda=extra.pop("agenda", ""),
                created_by=manager,
                **extra,
            )
            ev.agenda_html = render_markdown(ev.agenda)
            ev.save(update_fields=["agenda_html"])
            return ev

        past_events, upcoming_events = [], []
        cab = programs["cab"]
        agenda = "1. Welcome and what we shipped since last time\n2. Roadmap priorities: your input\n3. Forecast 2.0 demo\n4. Open floor"
        for q, days in enumerate((250, 160, 70)):
            ev = event(
                cab,
                f"CAB session Q{q + 1}",
                "cab_session",
                "Europe/Brussels",
                today - timedelta(days=days),
                14,
                180,
                venue="Acme HQ" if q % 2 == 0 else "",
                address="Rue de la Loi 42, Brussels" if q % 2 == 0 else "",
                virtual_url="" if q % 2 == 0 else "https://meet.example.com/acme-cab",
                agenda=agenda,
                capacity=14,
                attendance_points=150,
            )
            past_events.append((ev, active["cab"]))
        nxt = event(
            cab,
            "CAB session: roadmap deep dive and dinner",
            "cab_session",
            "Europe/Brussels",
            today + timedelta(days=18),
            14,
            240,
            venue="Acme HQ",
            address="Rue de la Loi 42, Brussels",
            agenda=agenda + "\n5. Dinner at 19:00",
            capacity=14,
            attendance_points=150,
        )
        upcoming_events.append((nxt, active["cab"]))
        past_events.append(
            (
                event(
                    programs["emea"],
                    "EMEA meetup Amsterdam",
                    "meetup",
                    "Europe/Amsterdam",
                    today - timedelta(days=45),
                    18,
                    180,
                    venue="Startup Village",
                    address="Science Park 608, Amsterdam",
                    capacity=60,
                    agenda="Talks by two customers, then drinks.",
                ),
                active["emea"],
            )
        )
        upcoming_events.append(
            (
                event(
                    programs["emea"],
                    "EMEA meetup London",
                    "meetup",
                    "Europe/London",
                    today + timedelta(days=30),
                    18,
                    180,
                    venue="The Data Loft",
                    address="1 Canal Side, London",
                    capacity=50,
                    agenda="Forecasting in retail; lightning talks; drinks.",
                ),
                active["emea"],
            )
        )
        past_events.append(
            (
                event(
                    programs["na"],
                    "NA webinar: dashboards your board reads",
                    "webinar",
                    "America/New_York",
                    today - timedelta(days=30),
                    12,
                    60,
                    virtual_url="https://meet.example.com/acme-na",
                    agenda="A customer walks through their board pack.",
                ),
                active["na"],
            )
        )
        upcoming_events.append(
            (
                event(
                    programs["na"],
                    "NA meetup Chicago",
                    "meetup",
                    "America/Chicago",
                    today + timedelta(days=12),
                    17,
                    180,
                    venue="Fulton Market Hall",
                    address="1000 W Fulton Market, Chicago",
                    capacity=40,
                ),
                active["na"],
            )
        )
        upcoming_events.append(
            (
                event(
                    programs["beta"],
                    "Forecast 2.0 beta feedback call",
                    "meeting",
                    "America/New_York",
                    today + timedelta(days=5),
                    11,
                    60,
                    virtual_url="https://meet.example.com/forecast-beta",
                    agenda="What broke, what delighted you, what's next.",
                ),
                active["beta"],
            )
        )
        summit = event(
            None,
            "Acme Summit 2026: customer dinner",
            "dinner",
            "America/Los_Angeles",
            today + timedelta(days=40),
            19,
            180,
            venue="The Pier House",
            address="Pier 3, San Francisco",
            capacity=8,
            attendance_points=100,
        )
        upcoming_events.append((summit, pick(champions, 12)))
        past_events.append(
            (
                event(
                    None,
                    "Webinar: what's new in Acme 4.2",
                    "webinar",
                    "UTC",
                    today - timedelta(days=14),
                    15,
                    60,
                    is_open_to_all=True,
                    virtual_url="https://meet.example.com/acme-42",
                ),
                pick(hub_people, 40),
            )
        )

        invitations, rsvps = [], []
        for ev, people in upcoming_events:
            seats = ev.capacity
            yes = 0
            for c in people:
                if ev.program_id is None:
                    invitations.append(
                        Invitation(
                            event=ev,
                            contact=c,
                            invited_by=manager,
                            invited_at=now - timedelta(days=rng.randint(1, 10)),
                        )
                    )
                roll = rng.random()
                if c == star:
                    continue  # the demo advocate answers in the hub
                if roll < 0.55:
                    waiting = seats is not None and yes >= seats
                    yes += 0 if waiting else 1
                    rsvps.append(
                        Rsvp(
                            event=ev,
                            contact=c,
                            response="yes",
                            is_waitlisted=waiting,
                            waitlisted_at=now if waiting else None,
                            responded_at=now - timedelta(days=rng.randint(0, 6)),
                        )
                    )
                elif roll < 0.7:
                    rsvps.append(Rsvp(event=ev, contact=c, response="maybe"))
                elif roll < 0.8:
                    rsvps.append(Rsvp(event=ev, contact=c, response="no"))
        attended = []
        for ev, people in past_events:
            for c in people:
                if ev.program_id is None:
                    invitations.append(
                        Invitation(
                            event=ev,
                            contact=c,
                            invited_by=manager,
                            invited_at=ev.starts_at - timedelta(days=14),
                        )
                    )
                roll = rng.random()
                if roll < 0.75:
                    came = rng.random() < 0.85
                    r = Rsvp(
                        event=ev,
                        contact=c,
                        response="yes",
                        responded_at=ev.starts_at - timedelta(days=5),
                        attended=came,
                        attendance_marked_at=ev.ends_at + timedelta(hours=2),
                        attendance_marked_by=manager,
                    )
                    rsvps.append(r)
                    if came:
                        attended.append((ev, c))
                elif roll < 0.85:
                    rsvps.append(
                        Rsvp(
                            event=ev,
                            contact=c,
                            response="no",
                            responded_at=ev.starts_at - timedelta(days=5),
                        )
                    )
        Invitation.objects.bulk_create(invitations, batch_size=1000, ignore_conflicts=True)
        Rsvp.objects.bulk_create(rsvps, batch_size=1000, ignore_conflicts=True)
        Activity.objects.bulk_create(
            [
                Activity(
                    kind="event.attended",
                    contact=c,
                    account_id=c.account_id,
                    occurred_at=ev.starts_at,
                    points=ev.attendance_points,
                    source="programs",
                    external_id=f"event:{ev.pk}:attended:{c.pk}",
                    data={
                        "event_id": ev.pk,
                        "event_kind": ev.kind,
                        "program_id": ev.program_id,
                        "summary": ev.title,
                    },
                )
                for ev, c in attended
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        for ev, c in ctx.track(
            attended, description="event attendance points", total=len(attended)
        ):
            ledger_credit(
                contact=c,
                points=ev.attendance_points,
                idempotency_key=f"event:{ev.pk}:attended:{c.pk}",
                source_type="event",
                source_id=ev.pk,
                reason=f"Attended {ev.title}",
                actor=manager,
            )

        # Minutes for past CAB sessions and structured input on the last one.
        for ev, _people in past_events:
            if ev.kind == "cab_session":
                ev.minutes = CAB_MINUTES.format(n=len([1 for e, c in attended if e == ev]))
                ev.minutes_html = render_markdown(ev.minutes)
                ev.minutes_published_at = ev.ends_at + timedelta(days=2)
                ev.save(update_fields=["minutes", "minutes_html", "minutes_published_at"])
        last_cab = past_events[2][0]
        qset = QuestionSet.objects.create(
            event=last_cab,
            title="Your priorities for next year",
            intro="Two minutes: it decides what we build first.",
            is_open=False,
            results_shared=True,
        )
        q1 = Question.objects.create(
            question_set=qset,
            position=1,
            prompt="How well does Acme support your board reporting today?",
            kind="scale",
        )
        q2 = Question.objects.create(
            question_set=qset,
            position=2,
            prompt="What should we build first?",
            kind="choice",
            options=["PDF export", "Slack alerts", "SAML group mapping", "Forecast 2.0"],
        )
        q3 = Question.objects.create(
            question_set=qset, position=3, prompt="Anything else we should know?", kind="text"
        )
        QuestionResponse.objects.bulk_create(
            [
                QuestionResponse(
                    question_set=qset,
                    contact=c,
                    answers={
                        str(q1.pk): rng.choice([2, 3, 3, 4, 4, 5]),
                        str(q2.pk): rng.choice([0, 0, 0, 1, 2, 3, 3]),
                        **({str(q3.pk): rng.choice(COMMENTS)} if rng.random() < 0.5 else {}),
                    },
                )
                for e, c in attended
                if e == last_cab
            ],
            ignore_conflicts=True,
        )

        # --- ideas -------------------------------------------------------------------------
        voters_pool = hub_people or pool[:200]
        ideas = []
        for i, title in enumerate(IDEAS):
            status = STATUS_PLAN[i]
            author = star if (star and i in (0, 17)) else rng.choice(voters_pool)
            created = now - timedelta(days=rng.randint(20, 360), hours=rng.randint(0, 23))
            reason = REASONS.get(status, "").format(
                v=f"4.{rng.randint(1, 6)}",
                alt=rng.choice(["scheduled digests", "the API", "saved views"]),
            )
            idea = Idea(
                title=title,
                description=rng.choice(DESCRIPTIONS),
                author=author,
                program=programs["cab"] if i % 7 == 0 else None,
                status=status,
                status_reason=reason,
                status_changed_at=created + timedelta(days=rng.randint(3, 15))
                if status != "new"
                else None,
                shipped_at=now - timedelta(days=rng.randint(1, 15))
                if status == "shipped"
                else None,
                created_at=created,
            )
            ideas.append(idea)
        Idea.objects.bulk_create(ideas)
        votes, comments, changes, notices = [], [], [], []
        for idea in ideas:
            voters = {idea.author_id}
            n = rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30, 45])
            voters.update(c.pk for c in rng.sample(voters_pool, min(n, len(voters_pool))))
            if star and idea.status == "shipped" and rng.random() < 0.6:
                voters.add(star.pk)
            votes.extend(
                IdeaVote(
                    idea=idea,
                    contact_id=cid,
                    created_at=idea.created_at + timedelta(days=rng.randint(0, 10)),
                )
                for cid in voters
            )
            idea.vote_count = len(voters)
            commenters = set()
            for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
                who = rng.choice(voters_pool)
                commenters.add(who.pk)
                comments.append(
                    IdeaComment(
                        idea=idea,
                        contact=who,
                        body=rng.choice(COMMENTS),
                        created_at=idea.created_at + timedelta(days=rng.randint(1, 20)),
                    )
                )
            if idea.status in ("planned", "in_progress", "shipped") and rng.random() < 0.5:
                comments.append(
                    IdeaComment(
                        idea=idea,
                        staff_author=manager,
                        body="Thanks all, this helps us size it. We'll keep you posted here.",
                        created_at=idea.created_at + timedelta(days=12),
                    )
                )
            idea.comment_count = len([c for c in comments if c.idea is idea])
            path = {
                "under_review": ["under_review"],
                "planned": ["under_review", "planned"],
                "in_progress": ["planned", "in_progress"],
                "shipped": ["planned", "in_progress", "shipped"],
                "declined": ["under_review", "declined"],
            }.get(idea.status, [])
            prev = "new"
            for step, status in enumerate(path):
                changes.append(
                    IdeaStatusChange(
                        idea=idea,
                        from_status=prev,
                        to_status=status,
                        reason=idea.status_reason
                        if status == idea.status
                        else REASONS.get(status, "").format(v="", alt=""),
                        actor=manager,
                        changed_at=idea.created_at + timedelta(days=5 + step * 20),
                    )
                )
                prev = status
            if idea.status == "shipped":
                for cid in sorted(voters | commenters):
                    notices.append(
                        Notice(
                            contact_id=cid,
                            kind="you_said_we_did",
                            title=f"You said, we did: {idea.title}",
                            body=(
                                "You suggested it, and it's live: "
                                if cid == idea.author_id
                                else "You backed this idea, and it's live: "
                            )
                            + idea.status_reason,
                            url=f"/hub/ideas/{idea.pk}/",
                            idea=idea,
                            dedupe_key=f"idea:{idea.pk}:shipped:{cid}",
                            created_at=idea.shipped_at,
                            read_at=idea.shipped_at + timedelta(days=1)
                            if rng.random() < 0.4
                            else None,
                        )
                    )
        IdeaVote.objects.bulk_create(votes, batch_size=2000, ignore_conflicts=True)
        IdeaComment.objects.bulk_create(comments, batch_size=2000)
        IdeaStatusChange.objects.bulk_create(changes, batch_size=2000)
        Notice.objects.bulk_create(notices, batch_size=2000, ignore_conflicts=True)
        for idea in ideas:
            real = IdeaVote.objects.filter(idea=idea).count()
            Idea.objects.filter(pk=idea.pk).update(
                vote_count=real, comment_count=idea.comment_count
            )
        # Welcome notices for the demo advocate's programs.
        if star:
            for m in Membership.objects.filter(contact=star, status=MS.ACTIVE).select_related(
                "program"
            ):
                Notice.objects.get_or_create(
                    dedupe_key=f"membership:{m.pk}:joined:demo",
                    defaults={
                        "contact": star,
                        "kind": "program",
                        "title": f"Welcome to {m.program.name}",
                        "body": "Your meetings and the other members are on the program page.",
                        "url": f"/hub/programs/{m.program_id}/",
                        "created_at": m.joined_at or now,
                        "read_at": now,
                    },
                )
            inv_event = nxt
            Notice.objects.get_or_create(
                dedupe_key=f"event:{inv_event.pk}:invited:{star.pk}",
                defaults={
                    "contact": star,
                    "kind": "event",
                    "title": f"You're invited: {inv_event.title}",
                    "body": "Tell us if you can come.",
                    "url": f"/hub/programs/events/{inv_event.pk}/",
                    "created_at": now - timedelta(days=1),
                },
            )


def reset(ctx) -> None:
    from django.db.models import Sum

    from ovation.ledger.models import PointsBalance

    entries = LedgerEntry.objects.filter(source_type="event")
    contact_ids = set(entries.values_list("contact_id", flat=True))
    entries.delete()
    # Balances are a cache of the ledger: rebuild them for the contacts touched.
    for contact_id in contact_ids:
        sums = LedgerEntry.objects.filter(contact_id=contact_id).aggregate(
            s=Sum("amount"), l=Sum("lifetime_delta")
        )
        PointsBalance.objects.filter(contact_id=contact_id).update(
            spendable=sums["s"] or 0, lifetime=sums["l"] or 0
        )
    Activity.objects.filter(source="programs").delete()
    Activity.objects.filter(kind="idea.submitted").delete()
    Notice.objects.all().delete()
    Idea.objects.all().delete()
    Event.objects.all().delete()
    Program.objects.all().delete()
