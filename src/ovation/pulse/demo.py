"""Demo NPS history for Acme Analytics: 18 months of quarterly relationship surveys with
seasonal and segment differences (a January dip after renewals and price rises, Healthcare
and Software happier than Public Sector, APAC hurt by support hours, at-risk accounts
unhappy), comments whose themes differ by segment, advocacy acts that follow good scores,
detractor follow-ups, an open campaign and a draft. Ends with the Pulse recompute so stages,
transitions and rollups exist. `--scale large` makes >= 200k responses."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction

from ovation.activity.models import Activity
from ovation.directory.models import Account, Contact

from .models import (
    Campaign,
    FollowUp,
    NpsAccountMonth,
    NpsContactLatest,
    NpsSegmentDay,
    Response,
    ResponseTheme,
    StageTransition,
    SurveyInvitation,
)
from .stats import category

BATCH = 5000

INDUSTRY_EFFECT = {
    "Healthcare": 0.5,
    "Software": 0.6,
    "Financial Services": 0.1,
    "Retail": -0.2,
    "Manufacturing": -0.1,
    "Education": 0.3,
    "Logistics": -0.3,
    "Media": 0.0,
    "Energy": -0.1,
    "Public Sector": -0.9,
}
REGION_EFFECT = {"North America": 0.2, "EMEA": 0.1, "APAC": -0.6, "LATAM": 0.0}
STATUS_EFFECT = {"active": 0.2, "onboarding": -0.2, "at_risk": -2.2, "churned": -2.8}
SEASON = {1: -0.6, 2: -0.3, 3: 0.0, 4: 0.1, 5: 0.2, 6: 0.3, 7: 0.3, 8: 0.2, 9: 0.1, 10: 0.0,
          11: -0.1, 12: -0.3}  # fmt: skip

REASONS = {
    "promoter": [
        "The dashboards saved our finance team days every month.",
        "Support is fast and actually knows the product.",
        "Forecasts are finally trusted by the board.",
        "Easy to roll out to new teams.",
        "Our CSM is fantastic.",
    ],
    "passive": [
        "Good product, a few rough edges.",
        "Does what we need, nothing more.",
        "Works well once it is set up.",
        "Solid, but the price went up this year.",
    ],
    "detractor": [
        "Too many outages this quarter.",
        "Reports are slow with our data volumes.",
        "Hard to get answers from support.",
        "The renewal price increase was not justified.",
        "Still missing features we were promised.",
    ],
}
BARRIERS = {
    "pricing": [
        "Pricing is too expensive for what we use.",
        "The licence cost per seat stops me from recommending it to smaller teams.",
    ],
    "support": [
        "Support response time outside US hours is poor.",
        "Tickets take days to get a first answer.",
    ],
    "performance": [
        "Dashboards are slow when loading big datasets.",
        "Performance on large reports needs to be faster.",
    ],
    "features": [
        "Missing custom report scheduling.",
        "We need a better export to Excel and an API for embedding.",
    ],
    "onboarding": [
        "Onboarding took too long; the documentation is thin.",
        "More training for new analysts would help.",
    ],
    "integrations": [
        "A native Salesforce connector would make it a no-brainer.",
        "Integration with Snowflake is clunky.",
    ],
    "reliability": [
        "Two outages during month-end close.",
        "Too many bugs after each release.",
    ],
    "permission": [
        "Company policy does not allow us to endorse vendors publicly.",
        "Procurement needs approval before any reference.",
    ],
}
PROMOTER_WISHES = [
    "A customer community to meet peers.",
    "Invite me to speak at your conference!",
    "Nothing — I already recommend you.",
    "A referral programme would make it easy.",
]
THEME_WEIGHTS_BY_REGION = {
    "APAC": {"support": 4, "performance": 2, "pricing": 2},
    "EMEA": {"integrations": 2, "permission": 2, "pricing": 2},
    "North America": {"features": 3, "pricing": 2},
    "LATAM": {"onboarding": 3, "support": 2},
}
THEME_WEIGHTS_BY_INDUSTRY = {
    "Public Sector": {"pricing": 3, "permission": 4},
    "Manufacturing": {"integrations": 3},
    "Retail": {"performance": 3},
    "Financial Services": {"reliability": 3},
}
ACT_KINDS = [
    ("event.attended", 5),
    ("review.written", 3),
    ("referral.made", 2),
    ("speaking.done", 1),
    ("case_study.published", 1),
    ("program.joined", 2),
]
FOLLOW_UP_NOTES = [
    "Called them; pricing review scheduled with the account exec.",
    "Escalated the performance issue to engineering (ticket PERF-212).",
    "Set up a training session for their new analysts.",
    "Shared the roadmap for custom reports; they were reassured.",
]


def already_loaded(ctx) -> bool:
    return Campaign.objects.filter(is_demo=True).exists()


def _weighted(rng, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def load(ctx) -> None:
    rng = ctx.rng("pulse")
    now = ctx.now
    contacts = list(
        Contact.objects.filter(crm_id__startswith="ACME-CON-", is_active=True)
        .exclude(account__status=Account.Status.PROSPECT)
        .values_list(
            "id",
            "account_id",
            "account__industry__name",
            "account__region__name",
            "account__status",
            "account__csm_owner_id",
            "seniority",
            "stage",
        )
        .order_by("id")
    )
    if not contacts:
        return
    # Rolling relationship survey: one campaign a month, each contact asked every 4 months
    # (at their own offset); the latest campaign went out three days ago and is still open.
    months = 18
    sends = [now - timedelta(days=3 + 30.4 * (months - 1 - i)) for i in range(months)]
    invite_p = 0.9
    answer_p = 0.48
    campaigns = [
        Campaign(
            name=f"Relationship NPS {sent:%B %Y}",
            status=Campaign.Status.SENT,
            sent_at=sent,
            reminder_after_days=5 if sent + timedelta(days=5) < now else 0,  # no demo email blast
            reminder_sent_at=sent + timedelta(days=5) if sent + timedelta(days=5) < now else None,
            audience={"surveyed_days": 100},
            is_demo=True,
        )
        for sent in sends
    ]
    draft = Campaign(
        name="Customer advisory board pulse",
        status=Campaign.Status.DRAFT,
        audience={"stage": ["advocate", "champion"]},
        is_demo=True,
    )
    Campaign.objects.bulk_create([*campaigns, draft])
    campaigns = list(
        Campaign.objects.filter(is_demo=True, status=Campaign.Status.SENT).order_by("id")
    )
    offset = {cid: rng.randrange(4) for cid, *_ in contacts}

    personal = {cid: rng.gauss(0, 1.3) for cid, *_ in contacts}
    invitations: list[SurveyInvitation] = []
    responses: list[Response] = []
    acts: list[Activity] = []
    n_responses = 0

    def flush(final: bool = False) -> None:
        nonlocal invitations, responses, acts
        if len(invitations) >= BATCH or final:
            SurveyInvitation.objects.bulk_create(invitations, batch_size=BATCH)
            invitations = []
        if len(responses) >= BATCH or final:
            Response.objects.bulk_create(responses, batch_size=BATCH)
            responses = []
        if len(acts) >= BATCH or final:
            Activity.objects.bulk_create(acts, batch_size=BATCH)
            acts = []

    with transaction.atomic():
        for r_index, campaign in enumerate(
            ctx.track(campaigns, description="pulse: NPS rounds", total=len(campaigns))
        ):
            sent = campaign.sent_at
            trend = 0.04 * r_index  # the company is slowly getting better
            is_open = r_index == len(campaigns) - 1
            for cid, account_id, industry, region, status, _csm, seniority, _stage in contacts:
                if (r_index + offset[cid]) % 4 or rng.random() > invite_p:
                    continue
                token = secrets.token_urlsafe(18)
                invitation = SurveyInvitation(
                    campaign_id=campaign.pk,
                    contact_id=cid,
                    token=token,
                    sent_at=sent,
                    reminded_at=None if is_open else sent + timedelta(days=5),
                    expires_at=sent + timedelta(days=30),
                )
                invitations.append(invitation)
                if rng.random() > (answer_p * 0.6 if is_open else answer_p):
                    continue
                answered = sent + timedelta(hours=rng.uniform(0.2, 24 * (2.5 if is_open else 12)))
                mu = (
                    7.7
                    + INDUSTRY_EFFECT.get(industry, 0)
                    + REGION_EFFECT.get(region, 0)
                    + STATUS_EFFECT.get(status, 0)
                    + SEASON[answered.month]
                    + (0.3 if seniority in ("vp", "c_level") else 0)
                    + trend
                    + personal[cid]
                )
                score = max(0, min(10, round(rng.gauss(mu, 1.4))))
                cat = category(score)
                reason = rng.choice(REASONS[cat]) if rng.random() < 0.6 else ""
                improvement = ""
                if rng.random() < 0.5:
                    if cat == "promoter":
                        improvement = rng.choice(PROMOTER_WISHES)
                    else:
                        weights = dict.fromkeys(BARRIERS, 1.0)
                        for k, w in THEME_WEIGHTS_BY_REGION.get(region, {}).items():
                            weights[k] += w
                        for k, w in THEME_WEIGHTS_BY_INDUSTRY.get(industry, {}).items():
                            weights[k] += w
                        improvement = rng.choice(BARRIERS[_weighted(rng, weights)])
                responses.append(
                    Response(
                        contact_id=cid,
                        account_id=account_id,
                        campaign_id=campaign.pk,
                        score=score,
                        reason=reason,
                        improvement=improvement,
                        contact_stage="customer",
                        answered_at=answered,
                        source=Response.Source.DEMO,
                        external_id=f"demo-nps-{campaign.pk}-{cid}",
                    )
                )
                n_responses += 1
                # Promoters often go on to do something for us in the following months.
                if score >= 9 and rng.random() < 0.5:
                    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
                        when = answered + timedelta(days=rng.uniform(3, 150))
                        if when >= now:
                            continue
                        kind = rng.choices(
                            [k for k, _ in ACT_KINDS], weights=[w for _, w in ACT_KINDS]
                        )[0]
                        acts.append(
                            Activity(
                                contact_id=cid,
                                account_id=account_id,
                                kind=kind,
                                occurred_at=when,
                                source="pulse-demo",
                                data={"summary": "webinar" if kind == "event.attended" else ""},
                            )
                        )
                flush()
        flush(final=True)
    # Link answers to their invitations (one UPDATE per round, by contact).
    with transaction.atomic():
        for campaign in campaigns:
            inv = dict(
                SurveyInvitation.objects.filter(campaign=campaign).values_list("contact_id", "id")
            )
            batch = []
            for resp in Response.objects.filter(campaign=campaign).only("id", "contact_id"):
                resp.invitation_id = inv.get(resp.contact_id)
                batch.append(resp)
            Response.objects.bulk_update(batch, ["invitation_id"], batch_size=BATCH)
        _follow_ups(ctx, rng)
        _timeline(ctx)
    from .recompute import run

    run(publish_events=False)


def _timeline(ctx) -> None:
    """Each answer on the contact's timeline (no events: demo history is not news)."""
    batch = []
    rows = Response.objects.filter(source=Response.Source.DEMO).values_list(
        "id", "contact_id", "account_id", "answered_at", "score"
    )
    for rid, cid, aid, at, score in rows.iterator(chunk_size=BATCH):
        batch.append(
            Activity(
                contact_id=cid,
                account_id=aid,
                kind=Activity.Kind.NPS_ANSWERED,
                occurred_at=at,
                source="pulse",
                data={"score": score, "response_id": rid, "category": category(score)},
                external_id=f"pulse:nps:{rid}",
            )
        )
        if len(batch) >= BATCH:
            Activity.objects.bulk_create(batch)
            batch = []
    Activity.objects.bulk_create(batch)


def _follow_ups(ctx, rng) -> None:
    since = ctx.now - timedelta(days=75)
    rows = []
    for resp in (
        Response.objects.filter(score__lte=6, answered_at__gte=since)
        .select_related("account")
        .order_by("id")
    ):
        age = (ctx.now - resp.answered_at).days
        status = (
            FollowUp.Status.OPEN
            if age < 10
            else rng.choices(
                [FollowUp.Status.OPEN, FollowUp.Status.IN_PROGRESS, FollowUp.Status.CLOSED],
                weights=[2, 3, 5],
            )[0]
        )
        rows.append(
            FollowUp(
                response=resp,
                contact_id=resp.contact_id,
                account_id=resp.account_id,
                owner_id=resp.account.csm_owner_id if resp.account else None,
                status=status,
                note="" if status == FollowUp.Status.OPEN else rng.choice(FOLLOW_UP_NOTES),
                closed_at=resp.answered_at + timedelta(days=rng.uniform(2, 9))
                if status == FollowUp.Status.CLOSED
                else None,
            )
        )
    FollowUp.objects.bulk_create(rows, batch_size=BATCH)


def reset(ctx) -> None:
    Activity.objects.filter(source="pulse-demo").delete()
    Activity.objects.filter(kind="nps.answered", source="pulse").delete()
    for model in (
        ResponseTheme,
        FollowUp,
        NpsSegmentDay,
        NpsAccountMonth,
        NpsContactLatest,
        StageTransition,
    ):
        model.objects.all().delete()
    Response.objects.filter(source=Response.Source.DEMO).delete()
    Campaign.objects.filter(is_demo=True).delete()
    Contact.objects.filter(crm_id__startswith="ACME-CON-").update(stage="customer")
