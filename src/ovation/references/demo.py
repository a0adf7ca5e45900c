"""Demo references: a default fatigue policy and weights, 12 months of reference requests with
outcomes and revenue, asks from other programs, and the realistic problem the pool health page
exists for -- a handful of favourite references who were asked far too often before the policy.

Current requests are in every state (submitted, invited, accepted, scheduled, completed,
closed, cancelled); advocates with a hub login get the open invitations."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from ovation.activity.models import Activity
from ovation.directory.models import Account, Contact, Industry, Product, Region
from ovation.directory.selectors import consent_granted_contact_ids
from ovation.ledger.services import ledger_credit
from ovation.users.models import User

from .models import (
    Ask,
    Assignment,
    FatiguePolicy,
    MatchSettings,
    Opportunity,
    ReferenceRequest,
)
from .pool import invalidate

COMPETITORS = ["Tableau", "Power BI", "Looker", "Qlik", "spreadsheets", "an in-house tool", ""]
USE_CASES = [
    "Replace monthly spreadsheet reporting with self-service dashboards for finance",
    "Rolling revenue forecasting across regions with driver-based planning",
    "Embedded analytics in a customer-facing portal",
    "Data governance and lineage for regulated reporting (audit, GDPR)",
    "Consolidate five BI tools into one platform and cut licence cost",
    "Real-time pipeline monitoring for operations and supply chain",
    "Executive KPI dashboards on mobile for the leadership team",
    "Migrate from on-premise reporting to the cloud in one quarter",
]
DECLINE_REASONS = ["Busy with our own audit", "On leave", "Asked twice this month already", ""]
FEEDBACK = [
    "Very credible, spoke to our exact use case",
    "Great energy; the prospect loved the governance story",
    "Solid call, a little short on detail about forecasting",
    "Prospect said this call tipped the decision",
]


def already_loaded(ctx) -> bool:
    return Opportunity.objects.filter(crm_id__startswith="ACME-OPP-").exists()


def reset(ctx) -> None:
    Assignment.objects.filter(request__opportunity__crm_id__startswith="ACME-OPP-").delete()
    ReferenceRequest.objects.filter(opportunity__crm_id__startswith="ACME-OPP-").delete()
    Opportunity.objects.filter(crm_id__startswith="ACME-OPP-").delete()
    Ask.objects.filter(source_type__in=["demo", "reference_request"]).delete()
    invalidate()


def _defaults() -> None:
    FatiguePolicy.objects.update_or_create(
        activity_type="",
        defaults={
            "window_days": 90,
            "max_asks_in_window": 3,
            "min_days_between": 14,
            "max_per_account_per_quarter": 6,
            "decline_cooldown_days": 45,
            "renewal_quiet_days": 30,
        },
    )
    FatiguePolicy.objects.update_or_create(
        activity_type="site_visit",
        defaults={
            "window_days": 180,
            "max_asks_in_window": 1,
            "min_days_between": 60,
            "max_per_account_per_quarter": 1,
            "decline_cooldown_days": 90,
        },
    )
    if not MatchSettings.objects.exists():
        MatchSettings.objects.create()


def load(ctx) -> None:
    rng = ctx.rng("references")
    now = ctx.now
    _defaults()
    sales = list(User.objects.filter(role=User.Role.SALES).order_by("email")) or list(
        User.objects.filter(role__in=["manager", "admin"]).order_by("email")[:1]
    )
    managers = list(User.objects.filter(role__in=["manager", "admin"]).order_by("email"))
    if not sales:
        return
    industries = list(Industry.objects.all())
    regions = list(Region.objects.all())
    products = list(Product.objects.all())
    granted = consent_granted_contact_ids(purpose="reference_calls")
    pool = list(
        Contact.objects.filter(
            is_active=True, account__status=Account.Status.ACTIVE, pk__in=granted
        )
        .exclude(seniority="")
        .select_related("account")
        .order_by("id")[: 400 * min(ctx.factor, 10)]
    )
    if len(pool) < 20:
        return
    # The favourites: senior, friendly, asked for everything before the policy existed.
    favourites = rng.sample([c for c in pool if c.seniority in ("vp", "c_level", "director")], 8)
    fav_ids = {c.pk for c in favourites}
    with_login = {c.pk for c in pool if c.user_id}

    scale = min(ctx.factor, 5)
    n_hist = 140 * scale
    opps, reqs, asks, assigns = [], [], [], []
    plan = []  # (request index, contact, status, days ago, rating)
    for i in ctx.track(range(n_hist), description="reference history", total=n_hist):
        days = rng.uniform(20, 360)
        submitted = now - timedelta(days=days)
        amount = Decimal(rng.choice([18, 25, 40, 60, 85, 120, 250]) * 1000)
        opps.append(
            Opportunity(
                crm_id=f"ACME-OPP-{i + 1:05d}",
                name=f"{ctx.fake.company()} — new business",
                amount=amount,
                stage="Closed",
                close_date=(submitted + timedelta(days=rng.randint(20, 60))).date(),
            )
        )
        reqs.append(
            ReferenceRequest(
                requester=rng.choice(sales),
                industry=rng.choice(industries) if industries else None,
                region=rng.choice(regions) if regions else None,
                employee_band=rng.choice(Account.EmployeeBand.values),
                competitor=rng.choice(COMPETITORS),
                use_case=rng.choice(USE_CASES),
                seniority=rng.choice(["director", "vp", "c_level", "manager"]),
                activity_type=rng.choices(
                    ["call", "site_visit", "email", "rfp", "case_study", "video"],
                    weights=[60, 6, 12, 10, 7, 5],
                )[0],
                number_wanted=rng.choice([1, 1, 1, 2]),
                submitted_at=submitted,
                review_due_at=submitted + timedelta(hours=24),
                status=ReferenceRequest.Status.CLOSED,
            )
        )
        for _ in range(reqs[-1].number_wanted):
            # 55% of the load lands on eight favourites: the over-use pool health shows.
            contact = rng.choice(favourites) if rng.random() < 0.55 else rng.choice(pool)
            status = rng.choices(["completed", "declined", "not_held"], weights=[78, 17, 5])[0]
            rating = rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0]
            plan.append((i, contact, status, days, rating))
    # A pipeline without references, for the win rate "without".
    n_plain = 260 * scale
    for j in range(n_plain):
        close = now - timedelta(days=rng.uniform(10, 360))
        won = rng.random() < 0.22
        amount = Decimal(rng.choice([18, 25, 40, 60, 85, 120]) * 1000)
        opps.append(
            Opportunity(
                crm_id=f"ACME-OPP-N{j + 1:05d}",
                name=f"{ctx.fake.company()} — expansion",
                amount=amount,
                stage="Closed Won" if won else "Closed Lost",
                close_date=close.date(),
                outcome="won" if won else "lost",
                won_amount=amount if won else None,
                closed_at=close.date(),
            )
        )
    with transaction.atomic():
        Opportunity.objects.bulk_create(opps, batch_size=2000)
        hist_opps = list(
            Opportunity.objects.filter(crm_id__startswith="ACME-OPP-0").order_by("crm_id")
        )
        for r, o in zip(reqs, hist_opps, strict=True):
            r.opportunity = o
        ReferenceRequest.objects.bulk_create(reqs, batch_size=2000)
        saved = list(
            ReferenceRequest.objects.filter(opportunity__crm_id__startswith="ACME-OPP-0").order_by(
                "opportunity__crm_id"
            )
        )
        done_per_req: dict[int, bool] = {}
        seen_pairs = set()
        for i, contact, status, _days, rating in plan:
            req = saved[i]
            if (req.pk, contact.pk) in seen_pairs:
                continue
            seen_pairs.add((req.pk, contact.pk))
            invited = req.submitted_at + timedelta(hours=rng.uniform(3, 40))
            responded = invited + timedelta(hours=rng.uniform(2, 72))
            completed = responded + timedelta(days=rng.uniform(2, 10))
            asks.append(
                Ask(
                    contact=contact,
                    account_id=contact.account_id,
                    channel="reference",
                    activity_type=req.activity_type,
                    asked_at=invited,
                    status={"completed": "completed", "declined": "declined"}.get(
                        status, "accepted"
                    ),
                    responded_at=responded,
                    source_type="reference_request",
                    source_id=str(req.pk),
                )
            )
            assigns.append(
                Assignment(
                    request=req,
                    contact=contact,
                    status=status,
                    score=round(rng.uniform(55, 92), 1),
                    picked_by=rng.choice(managers) if managers else None,
                    invited_at=invited,
                    responded_at=responded,
                    decline_reason=rng.choice(DECLINE_REASONS) if status == "declined" else "",
                    completed_at=completed if status != "declined" else None,
                    held=(status == "completed") if status != "declined" else None,
                    rating=rating if status == "completed" else None,
                    feedback=rng.choice(FEEDBACK) if status == "completed" else "",
                    scheduled_at=completed if status != "declined" else None,
                )
            )
            if status == "completed":
                done_per_req[req.pk] = True
                if req.fulfilled_at is None or completed < req.fulfilled_at:
                    req.fulfilled_at = completed
        ask_objs = Ask.objects.bulk_create(asks, batch_size=2000)
        for a, ask in zip(assigns, ask_objs, strict=True):
            a.ask = ask
        Assignment.objects.bulk_create(assigns, batch_size=2000)
        # Outcomes: opportunities with a completed reference win more often.
        for req in saved:
            o = req.opportunity
            had_ref = done_per_req.get(req.pk, False)
            won = rng.random() < (0.38 if had_ref else 0.2)
            o.outcome = "won" if won else "lost"
            o.won_amount = (
                (o.amount * Decimal(rng.choice(["1", "1", "0.9", "1.1"]))) if won else None
            )
            o.closed_at = o.close_date
            o.stage = "Closed Won" if won else "Closed Lost"
            if not had_ref:
                req.status = ReferenceRequest.Status.CLOSED
        Opportunity.objects.bulk_update(
            [r.opportunity for r in saved], ["outcome", "won_amount", "closed_at", "stage"]
        )
        ReferenceRequest.objects.bulk_update(saved, ["fulfilled_at", "status"])
        # Asks by other programs (challenges, program invitations), also on the favourites.
        other = []
        for _ in range(300 * scale):
            contact = rng.choice(favourites) if rng.random() < 0.3 else rng.choice(pool)
            when = now - timedelta(days=rng.uniform(1, 360))
            other.append(
                Ask(
                    contact=contact,
                    account_id=contact.account_id,
                    channel=rng.choice(["challenge", "program", "manual"]),
                    activity_type=rng.choice(["challenge", "program", "review", "speaking"]),
                    asked_at=when,
                    status=rng.choices(
                        ["completed", "declined", "ignored", "accepted"], weights=[50, 20, 20, 10]
                    )[0],
                    responded_at=when + timedelta(days=1),
                    logged_outside=rng.random() < 0.3,
                    note=rng.choice(USE_CASES) if rng.random() < 0.3 else "",
                    source_type="demo",
                )
            )
        Ask.objects.bulk_create(other, batch_size=2000)
        Activity.objects.bulk_create(
            [
                Activity(
                    contact_id=a.contact_id,
                    account_id=a.contact.account_id,
                    kind="reference.given",
                    occurred_at=a.completed_at,
                    points=200,
                    source="references",
                    data={"assignment_id": a.pk, "request_id": a.request_id},
                    external_id=f"reference:{a.pk}:given",
                )
                for a in Assignment.objects.filter(
                    status="completed", request__opportunity__crm_id__startswith="ACME-OPP-"
                ).select_related("contact")
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
    for a in Assignment.objects.filter(
        status="completed", request__opportunity__crm_id__startswith="ACME-OPP-"
    ).select_related("contact")[:300]:
        ledger_credit(
            contact=a.contact,
            points=200,
            idempotency_key=f"reference:{a.pk}:completed",
            source_type="reference_assignment",
            source_id=a.pk,
            reason="Reference call",
        )
    invalidate()
    _current(ctx, rng, sales, managers, pool, fav_ids, with_login, industries, regions, products)


def _current(ctx, rng, sales, managers, pool, fav_ids, with_login, industries, regions, products):
    """Open requests in every state, through the real services (so the budget applies)."""
    from ovation.core.errors import ServiceError

    from .pool import match
    from .services import (
        assignment_accept,
        assignment_complete,
        assignment_decline,
        assignment_schedule,
        opportunity_outcome_record,
        request_cancel,
        request_create,
        request_pick,
    )

    now = ctx.now
    states = [
        "submitted",
        "submitted",
        "submitted",
        "invited",
        "invited",
        "accepted",
        "scheduled",
        "scheduled",
        "completed",
        "declined",
        "closed",
        "cancelled",
    ]
    hub_first = sorted(pool, key=lambda c: (c.pk not in with_login, c.pk))
    hub_ready = [c for c in hub_first if c.pk in with_login]
    for n, state in enumerate(states):
        industry = rng.choice(industries) if industries else None
        region = rng.choice(regions) if regions else None
        req = request_create(
            requester=sales[n % len(sales)],
            opportunity_name=f"{ctx.fake.company()} — evaluation",
            opportunity_crm_id=f"ACME-OPP-C{n + 1:03d}",
            amount=rng.choice([30000, 60000, 90000, 150000]),
            opportunity_stage=rng.choice(["Discovery", "Evaluation", "Negotiation"]),
            close_date=(now + timedelta(days=rng.randint(20, 90))).date(),
            prospect_name=ctx.fake.company(),
            industry=industry,
            region=region,
            employee_band=rng.choice(Account.EmployeeBand.values),
            products=rng.sample(products, min(len(products), 2)) if products else None,
            competitor=rng.choice(COMPETITORS),
            use_case=rng.choice(USE_CASES),
            seniority=rng.choice(["director", "vp", "c_level"]),
            activity_type="call",
            needed_by=(now + timedelta(days=rng.randint(7, 30))).date(),
        )
        if state == "submitted":
            if n == 0:  # one past its review SLA
                ReferenceRequest.objects.filter(pk=req.pk).update(
                    submitted_at=now - timedelta(days=2), review_due_at=now - timedelta(days=1)
                )
            continue
        if state == "cancelled":
            request_cancel(request=req, actor=managers[0] if managers else None)
            continue
        picked = None
        # Advocates with a hub login first, so the demo hub shows invitations.
        candidates = [c for c in hub_ready if c.pk not in fav_ids][:30]
        ranked = match(req, limit=10, near_miss_limit=0, with_contacts=False).candidates
        by_pk = {c.pk: c for c in pool}
        for c in [*candidates[n % 3 :], *[by_pk.get(x.contact_id) for x in ranked]]:
            if c is None:
                continue
            try:
                picked = request_pick(
                    request=req, contact=c, actor=managers[0] if managers else None
                )
                break
            except ServiceError:
                continue
        if picked is None:
            continue
        if state == "invited":
            continue
        if state == "declined":
            assignment_decline(assignment=picked, reason="Travelling the next two weeks")
            continue
        assignment_accept(
            assignment=picked,
            slots=[now + timedelta(days=d, hours=h) for d, h in ((3, 15), (4, 10))],
        )
        if state == "accepted":
            continue
        assignment_schedule(
            assignment=picked, scheduled_at=now + timedelta(days=3, hours=15), actor=None
        )
        if state == "scheduled":
            continue
        assignment_complete(
            assignment=picked, held=True, rating=5, feedback=rng.choice(FEEDBACK), actor=None
        )
        if state == "closed":
            opportunity_outcome_record(
                opportunity=req.opportunity, outcome="won", amount=req.opportunity.amount
            )
