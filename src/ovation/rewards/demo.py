"""Demo rewards for Acme Analytics: a catalogue of every kind, donations-only accounts (public
sector and a few others) and redemptions in every status, made through the real services so
points move through the ledger. Runs after the hub's demo, which gives advocates balances;
when no one has points, it credits a few demo advocates itself."""

from datetime import timedelta

from django.db.models import Sum

from ovation.activity.models import Activity
from ovation.directory.models import Account
from ovation.ledger.models import LedgerEntry, PointsBalance
from ovation.ledger.services import ledger_credit
from ovation.users.models import User

from .models import AccountRewardPolicy, Redemption, RedemptionEvent, Reward
from .services import policy_set, redemption_create, redemption_transition, reward_create

SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
CATALOGUE = [
    {
        "name": "$10 coffee gift card",
        "kind": "gift_card",
        "cost": 250,
        "description": "A little thank-you for your morning coffee, redeemable at most coffee chains.",
        "fulfilment_info": "Sent by email within 3 business days.",
    },
    {
        "name": "$50 Amazon gift card",
        "kind": "gift_card",
        "cost": 1200,
        "per_person_limit": 2,
        "description": "Choose anything you like. Limited to two per person per year.",
        "fulfilment_info": "Sent by email within 3 business days.",
    },
    {
        "name": "Acme Analytics hoodie",
        "kind": "swag",
        "cost": 800,
        "stock": 40,
        "variants": SIZES,
        "needs_shipping": True,
        "description": "Heavyweight organic cotton hoodie in forest green, embroidered logo.",
        "fulfilment_info": "Ships within 2 weeks.",
    },
    {
        "name": "Dashboard Pro t-shirt",
        "kind": "swag",
        "cost": 350,
        "stock": 120,
        "variants": SIZES,
        "needs_shipping": True,
        "description": "Soft tee with the 'I speak fluent SQL' print.",
        "fulfilment_info": "Ships within 2 weeks.",
    },
    {
        "name": "Insulated water bottle",
        "kind": "swag",
        "cost": 300,
        "stock": 4,
        "needs_shipping": True,
        "description": "750 ml, keeps drinks cold for 24 hours. Almost gone!",
    },
    {
        "name": "Donate $25 to Code.org",
        "kind": "donation",
        "cost": 500,
        "description": "Help every student learn computer science. We donate in your name and send you the receipt.",
    },
    {
        "name": "Plant 20 trees with One Tree Planted",
        "kind": "donation",
        "cost": 400,
        "description": "Reforestation projects on four continents, in your name.",
    },
    {
        "name": "Donate $50 to Doctors Without Borders",
        "kind": "donation",
        "cost": 1000,
        "description": "Medical care where it is needed most.",
    },
    {
        "name": "Dinner with the product team",
        "kind": "experience",
        "cost": 5000,
        "stock": 6,
        "per_person_limit": 1,
        "requires_approval": True,
        "description": "Join our VP Product and two engineers for dinner at the next Acme Summit. Bring your wish list.",
        "fulfilment_info": "We confirm the date with you by email.",
    },
    {
        "name": "Early access to Acme AI Insights",
        "kind": "experience",
        "cost": 1500,
        "per_person_limit": 1,
        "requires_approval": True,
        "description": "Try the next big feature three months before everyone else, with a direct line to the team.",
        "fulfilment_info": "Your CSM enables it on your workspace within a week.",
    },
    {
        "name": "Acme Summit conference pass",
        "kind": "experience",
        "cost": 3000,
        "stock": 15,
        "per_person_limit": 1,
        "requires_approval": True,
        "description": "A full pass to our annual user conference (travel not included).",
    },
    {
        "name": "1:1 analytics office hours",
        "kind": "custom",
        "cost": 600,
        "description": "An hour with a senior solutions engineer on any dashboard, model or query you are stuck on.",
        "fulfilment_info": "We send you a booking link within 2 business days.",
    },
]
STATUS_MIX = [
    "fulfilled",
    "fulfilled",
    "fulfilled",
    "approved",
    "approved",
    "requested",
    "cancelled",
]
NOTES = {
    "fulfilled": [
        "Code sent by email.",
        "Shipped with UPS, tracking 1Z999AA10123456784.",
        "Receipt emailed.",
        "Delivered, enjoy!",
    ],
    "approved": ["Approved: thanks for everything you do!", ""],
    "cancelled": [
        "Out of stock in this size; points refunded.",
        "Cancelled at the advocate's request.",
    ],
}


def already_loaded(ctx) -> bool:
    return Reward.objects.filter(name=CATALOGUE[0]["name"]).exists()


def load(ctx) -> None:
    rng = ctx.rng("rewards")
    manager = User.objects.filter(email="manager@acme.test").first()
    rewards = [reward_create(actor=manager, **spec) for spec in CATALOGUE]

    # Gift policies: public-sector accounts plus a few others cannot accept personal gifts.
    accounts = list(
        Account.objects.filter(crm_id__startswith="ACME-ACC-").select_related("industry")
    )
    public = [a for a in accounts if a.industry and a.industry.name == "Public Sector"]
    restricted = rng.sample(public, k=len(public) // 2)
    restricted += rng.sample(accounts, k=min(len(accounts), 3 * ctx.factor))
    for account in {a.pk: a for a in restricted}.values():
        note = (
            "Public sector: no personal gifts"
            if account.industry and account.industry.name == "Public Sector"
            else "Company gift policy (compliance)"
        )
        policy_set(account=account, donations_only=True, note=note, actor=manager)

    balances = list(
        PointsBalance.objects.filter(spendable__gte=250, contact__is_active=True)
        .select_related("contact", "contact__account")
        .order_by("contact_id")
    )
    wanted = 30 * ctx.factor
    if len(balances) < wanted:
        # Too few people can afford anything: give a welcome bonus through the ledger, to hub
        # advocates first (contacts with a login), else to any active demo contact.
        from ovation.directory.models import Contact

        have = {b.contact_id for b in balances}
        candidates = Contact.objects.filter(is_active=True).exclude(pk__in=have)
        contacts = list(candidates.filter(user__isnull=False).order_by("id")[: wanted - len(have)])
        if len(contacts) < wanted - len(have):
            contacts += list(
                candidates.filter(user__isnull=True).order_by("id")[
                    : wanted - len(have) - len(contacts)
                ]
            )
        for contact in contacts:
            ledger_credit(
                contact=contact,
                points=rng.choice([600, 800, 1500, 2500, 6000]),
                idempotency_key=f"demo:rewards:seed:{contact.pk}",
                source_type="demo.rewards",
                reason="Welcome bonus",
            )
        balances = list(
            PointsBalance.objects.filter(spendable__gte=250, contact__is_active=True)
            .select_related("contact", "contact__account")
            .order_by("contact_id")
        )
    policy_accounts = set(AccountRewardPolicy.objects.values_list("account_id", flat=True))
    donations = [r for r in rewards if r.kind == Reward.Kind.DONATION]
    target = min(len(balances), 30 * ctx.factor)
    chosen = rng.sample(balances, k=target)
    made = []
    for balance in ctx.track(chosen, description="rewards: redemptions", total=len(chosen)):
        contact = balance.contact
        pool = donations if contact.account_id in policy_accounts else rewards
        goal = rng.choice(STATUS_MIX)
        affordable = [r for r in pool if r.cost <= balance.spendable]
        if goal == "requested":
            affordable = [r for r in affordable if r.requires_approval] or affordable
        if not affordable:
            continue
        reward = rng.choice(affordable)
        reward.refresh_from_db(fields=["stock"])
        if reward.stock == 0:
            continue
        try:
            redemption, _ = redemption_create(
                reward=reward,
                contact=contact,
                actor=contact.user,
                variant=rng.choice(reward.variants) if reward.variants else "",
                shipping_address=f"{ctx.fake.street_address()}\n{ctx.fake.postcode()} {ctx.fake.city()}"
                if reward.needs_shipping
                else "",
            )
        except Exception:  # noqa: BLE001,S112 - a demo row that breaks a rule is skipped
            continue
        made.append(redemption)
        if goal == "requested" and redemption.status != "requested":
            goal = "approved"
        path = {
            "requested": [],
            "approved": ["approved"],
            "fulfilled": ["approved", "fulfilled"],
            "cancelled": ["cancelled"],
        }[goal]
        for status in path:
            if redemption.status == status:
                continue
            redemption_transition(
                redemption=redemption,
                status=status,
                actor=manager,
                note=rng.choice(NOTES.get(status, [""])),
            )
        # Spread them over the last three months (fulfilled ones are older).
        age = timedelta(
            days=rng.uniform(20, 90) if goal in {"fulfilled", "cancelled"} else rng.uniform(0, 14)
        )
        created = ctx.now - age
        Redemption.objects.filter(pk=redemption.pk).update(created_at=created)
        for i, event in enumerate(redemption.events.order_by("id")):
            RedemptionEvent.objects.filter(pk=event.pk).update(
                created_at=created + timedelta(days=i * 2, hours=i)
            )
        Redemption.objects.filter(pk=redemption.pk, approved_at__isnull=False).update(
            approved_at=created + timedelta(days=2)
        )
        Redemption.objects.filter(pk=redemption.pk, fulfilled_at__isnull=False).update(
            fulfilled_at=created + timedelta(days=4)
        )
        Activity.objects.filter(external_id=f"redemption:{redemption.pk}").update(
            occurred_at=created
        )
    if ctx.stdout:
        ctx.stdout.write(
            f"rewards: {len(rewards)} rewards, {len(policy_accounts)} donations-only accounts, "
            f"{len(made)} redemptions"
        )


def reset(ctx) -> None:
    redemptions = Redemption.objects.all()
    contact_ids = set(redemptions.values_list("contact_id", flat=True))
    ids = [str(i) for i in redemptions.values_list("id", flat=True)]
    Activity.objects.filter(external_id__in=[f"redemption:{i}" for i in ids]).delete()
    RedemptionEvent.objects.all().delete()
    redemptions.delete()
    seeded = LedgerEntry.objects.filter(source_type="demo.rewards")
    contact_ids |= set(seeded.values_list("contact_id", flat=True))
    LedgerEntry.objects.filter(source_type="redemption", source_id__in=ids).delete()
    seeded.delete()
    for contact_id in contact_ids:
        sums = LedgerEntry.objects.filter(contact_id=contact_id).aggregate(
            s=Sum("amount"), l=Sum("lifetime_delta")
        )
        PointsBalance.objects.filter(contact_id=contact_id).update(
            spendable=sums["s"] or 0, lifetime=sums["l"] or 0
        )
    AccountRewardPolicy.objects.all().delete()
    Reward.objects.all().delete()
