"""A small, fixed company for the insights tests: two industries, accounts with known
start and churn dates, referrals between them, advocates, NPS answers and opportunities."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from ovation.directory.models import Account, Contact
from ovation.directory.tests.factories import (
    AccountFactory,
    ContactFactory,
    IndustryFactory,
    ProductFactory,
    RegionFactory,
    UserFactory,
)
from ovation.hub.models import HubProfile
from ovation.pulse.models import Response
from ovation.references.models import Assignment, Opportunity, ReferenceRequest
from ovation.referrals.models import Referral, ReferralProgram
from ovation.users.models import User

TODAY = date(2026, 6, 15)


@dataclass
class World:
    today: date
    software: object
    retail: object
    executive: User
    accounts: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)


def aware(d: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day, hour))


# (name, industry, arr, customer since, churned on (None = customer), advocates, customers)
ACCOUNTS = [
    ("Alpha", "software", 120_000, date(2023, 1, 10), None, 2, 1),
    ("Bravo", "software", 80_000, date(2023, 6, 1), date(2025, 6, 1), 0, 2),
    ("Charlie", "software", 60_000, date(2024, 2, 1), None, 1, 2),
    ("Delta", "retail", 40_000, date(2024, 3, 1), date(2025, 3, 1), 0, 1),
    ("Echo", "retail", 30_000, date(2024, 9, 1), None, 0, 3),
    ("Foxtrot", "retail", 90_000, date(2023, 9, 1), None, 1, 0),
    # referred accounts (referrer in brackets below)
    ("Golf", "software", 70_000, date(2024, 1, 1), None, 1, 1),
    ("Hotel", "software", 50_000, date(2024, 5, 1), date(2025, 11, 1), 0, 1),
    ("India", "retail", 45_000, date(2024, 7, 1), None, 0, 2),
]
REFERRALS = [("Alpha", "Golf"), ("Bravo", "Hotel"), ("Foxtrot", "India")]


def build_world(today: date = TODAY) -> World:
    software = IndustryFactory(name="Software", slug="software")
    retail = IndustryFactory(name="Retail", slug="retail")
    region = RegionFactory(name="EMEA", slug="emea")
    product = ProductFactory(name="Analytics", slug="analytics")
    csm = UserFactory(email="csm@acme.test", role=User.Role.CSM, full_name="Casey CSM")
    executive = UserFactory(email="exec@acme.test", role=User.Role.EXECUTIVE, full_name="Eve Exec")
    world = World(today=today, software=software, retail=retail, executive=executive)
    for name, ind, arr, since, churned, n_adv, n_cust in ACCOUNTS:
        account = AccountFactory(
            name=name,
            industry=software if ind == "software" else retail,
            region=region,
            arr=Decimal(arr),
            customer_since=since,
            # churned accounts churn at the renewal date recorded on the account
            renewal_date=churned or date(today.year + 1, since.month, 1),
            status=Account.Status.CHURNED if churned else Account.Status.ACTIVE,
            csm_owner=csm,
        )
        account.products.add(product)
        world.accounts[name] = account
        people = []
        for i in range(n_adv):
            people.append(
                ContactFactory(
                    account=account,
                    stage=Contact.Stage.CHAMPION if i == 1 else Contact.Stage.ADVOCATE,
                    email=f"adv{i}@{name.lower()}.test",
                )
            )
        for i in range(n_cust):
            people.append(
                ContactFactory(
                    account=account, stage=Contact.Stage.CUSTOMER, email=f"c{i}@{name.lower()}.test"
                )
            )
        world.contacts[name] = people
    # Hub: Alpha's two advocates invited, one active lately; Golf's advocate invited.
    alpha = world.contacts["Alpha"]
    HubProfile.objects.create(
        contact=alpha[0],
        invited_at=aware(today - timedelta(days=200)),
        last_seen_at=aware(today - timedelta(days=3)),
    )
    HubProfile.objects.create(contact=alpha[1], invited_at=aware(today - timedelta(days=200)))
    HubProfile.objects.create(
        contact=world.contacts["Golf"][0], invited_at=aware(today - timedelta(days=20))
    )
    program = ReferralProgram.objects.create(name="Refer a peer", slug="peer", headline="Refer")
    for i, (referrer, referee) in enumerate(REFERRALS):
        Referral.objects.create(
            program=program,
            referrer=world.contacts[referrer][0],
            first_name=f"Ref{i}",
            email=f"ref{i}@{referee.lower()}.test",
            email_normalized=f"ref{i}@{referee.lower()}.test",
            status=Referral.Status.WON,
            stage_reached="won",
            deal_amount=Decimal(10_000 * (i + 1)),
            won_at=aware(world.accounts[referee].customer_since),
            referee_account=world.accounts[referee],
        )
    # One lead that did not convert, from Alpha.
    Referral.objects.create(
        program=program,
        referrer=alpha[0],
        first_name="Lead",
        email="lead@x.test",
        email_normalized="lead@x.test",
        status=Referral.Status.LEAD,
        stage_reached="lead",
    )
    # NPS: March 2026: 3 promoters, 1 passive, 1 detractor (Software); May: 1 detractor (Retail).
    answers = [
        ("Alpha", 0, 10, date(2026, 3, 2)),
        ("Alpha", 1, 9, date(2026, 3, 5)),
        ("Charlie", 0, 9, date(2026, 3, 9)),
        ("Charlie", 1, 7, date(2026, 3, 10)),
        ("Golf", 1, 3, date(2026, 3, 20)),
        ("Echo", 0, 2, date(2026, 5, 2)),
    ]
    for account, idx, score, day in answers:
        contact = world.contacts[account][idx]
        Response.objects.create(
            contact=contact,
            account=contact.account,
            score=score,
            answered_at=aware(day),
            contact_stage=contact.stage,
            source=Response.Source.DEMO,
        )
    return world


# Opportunities: (amount, won, referenced, industry of the request or None)
OPPORTUNITIES = [
    (20_000, True, True, "software"),
    (20_000, True, True, "software"),
    (20_000, False, True, "software"),
    (20_000, True, False, "software"),
    (20_000, False, False, "software"),
    (20_000, False, False, "software"),
    (100_000, True, True, "retail"),
    (100_000, False, False, None),
    (100_000, True, False, None),
    (100_000, False, False, None),
    (40_000, True, True, "retail"),  # no comparable deal of this size: unmatched
]


def build_opportunities(world: World) -> list[Opportunity]:
    requester = UserFactory(email="sales@acme.test", role=User.Role.SALES)
    contact = world.contacts["Alpha"][0]
    out = []
    for i, (amount, won, referenced, industry) in enumerate(OPPORTUNITIES):
        close = world.today - timedelta(days=30 + i)
        opp = Opportunity.objects.create(
            name=f"Deal {i}",
            crm_id=f"OPP-{i}",
            amount=Decimal(amount),
            stage="Closed",
            close_date=close,
            closed_at=close,
            outcome="won" if won else "lost",
            won_amount=Decimal(amount) if won else None,
        )
        out.append(opp)
        if industry:
            req = ReferenceRequest.objects.create(
                requester=requester,
                opportunity=opp,
                industry=world.software if industry == "software" else world.retail,
                activity_type="call",
                submitted_at=aware(close - timedelta(days=40)),
                fulfilled_at=aware(close - timedelta(days=40 - (i + 2))) if referenced else None,
                status=ReferenceRequest.Status.CLOSED,
            )
            Assignment.objects.create(
                request=req,
                contact=contact,
                status=Assignment.Status.COMPLETED if referenced else Assignment.Status.DECLINED,
                invited_at=req.submitted_at,
            )
    return out
