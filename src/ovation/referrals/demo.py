"""Demo referral programs for Acme Analytics: "Customers refer a peer" and "Partner
referrals", personal links for ~150 advocates, thousands of clicks (>= 1M at --scale large),
and leads in every state — flagged and blocked ones included — with rewards paid through the
ledger by the same services the product uses."""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings

from ovation.activity.models import Activity
from ovation.core.errors import ServiceError
from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry

from . import services
from .models import (
    Referral,
    ReferralClick,
    ReferralEvent,
    ReferralLink,
    ReferralProgram,
    ReferralReward,
    ReferralRewardRule,
    WebhookReceipt,
)
from .tracking import CHANNELS, code_generate, ip_hash

PROGRAMS = [
    {
        "name": "Customers refer a peer",
        "slug": "customers",
        "headline": "See why teams like yours switched to Acme Analytics",
        "offer": "3 months free on any annual plan",
        "body_markdown": (
            "Acme Analytics turns your data into dashboards your whole company actually uses.\n\n"
            "* Connect your warehouse in minutes\n* Forecasts your CFO will trust\n"
            "* Governance built in\n\nLeave your details and a product specialist will show "
            "you around — no slides, just your use case."
        ),
        "share_text": (
            "We use Acme Analytics at {company} and it changed how we report. If you're "
            "evaluating analytics tools, here's my invitation (3 months free):"
        ),
        "attribution_window_days": 180,
        "terms": "Offer valid for new customers signing an annual plan. One reward per new "
        "customer account. Acme may change or end the program at any time.",
        "rules": [
            ("qualified", "referrer", 500, ""),
            ("won", "referrer", 2500, "$100 gift card"),
            ("won", "friend", 0, "3 months free: code PEER3FREE"),
        ],
    },
    {
        "name": "Partner referrals",
        "slug": "partners",
        "headline": "Bring Acme Analytics to your clients",
        "offer": "A guided proof of concept for your client, on us",
        "body_markdown": "Partners who refer a client get a dedicated solutions engineer "
        "and a **joint proof of concept**.",
        "share_text": "Our consultancy recommends Acme Analytics. Book a free guided proof "
        "of concept through my link:",
        "attribution_window_days": 548,
        "pipeline_policy": ReferralProgram.PipelinePolicy.REVIEW,
        "velocity_per_hour": 10,
        "velocity_per_day": 40,
        "rules": [
            ("qualified", "referrer", 1000, ""),
            ("opportunity", "referrer", 1000, ""),
            ("won", "referrer", 5000, "10% revenue share"),
        ],
    },
]
COMPANIES = [
    ("Northwind Traders", "northwind.example"),
    ("Contoso Pharma", "contoso-pharma.example"),
    ("Fabrikam Logistics", "fabrikam.example"),
    ("Tailspin Toys", "tailspin.example"),
    ("Wide World Importers", "wideworld.example"),
    ("Litware Finance", "litware.example"),
    ("Proseware", "proseware.example"),
    ("Adventure Works", "adventure-works.example"),
    ("Blue Yonder Air", "blueyonder.example"),
    ("Coho Winery", "coho.example"),
    ("Alpine Ski House", "alpineskihouse.example"),
    ("Fourth Coffee", "fourthcoffee.example"),
    ("Lucerne Publishing", "lucernepublishing.example"),
    ("Margie's Travel", "margiestravel.example"),
    ("Trey Research", "treyresearch.example"),
    ("Woodgrove Bank", "woodgrove.example"),
]
UAS = ["browser"] * 6 + ["mobile"] * 3 + ["bot"]


def already_loaded(ctx) -> bool:
    return ReferralProgram.objects.filter(slug="customers").exists()


def reset(ctx) -> None:
    # Referral ids restart after a reset, so the ledger entries and activities keyed by them
    # go too (as the hub's demo does for its own entries).
    WebhookReceipt.objects.all().delete()
    ReferralReward.objects.all().delete()
    LedgerEntry.objects.filter(source_type="referral").delete()
    Activity.objects.filter(kind__startswith="referral.").delete()
    ReferralEvent.objects.all().delete()
    Referral.objects.all().delete()
    ReferralClick.objects.all().delete()
    ReferralLink.objects.all().delete()
    ReferralProgram.objects.all().delete()


def _advocates(rng, limit: int) -> list[Contact]:
    hub = list(Contact.objects.filter(user__isnull=False, is_active=True).select_related("account"))
    pool = hub or list(
        Contact.objects.filter(
            is_active=True, stage__in=["advocate", "champion", "promoter"]
        ).select_related("account")
    )
    if len(pool) < limit and hub:
        extra = Contact.objects.filter(
            ~Q(pk__in=[c.pk for c in hub]),
            is_active=True,
            stage__in=["advocate", "champion", "promoter"],
        ).select_related("account")
        pool += list(extra[: limit - len(pool)])
    pool.sort(key=lambda c: c.pk)
    rng.shuffle(pool)
    return pool[:limit]


def load(ctx) -> None:
    rng = ctx.rng("referrals")
    programs = []
    with transaction.atomic():
        for spec in PROGRAMS:
            spec = dict(spec)
            rules = spec.pop("rules")
            program = services.program_save(program=ReferralProgram(**spec))
            for stage, recipient, points, note in rules:
                ReferralRewardRule.objects.create(
                    program=program, stage=stage, recipient=recipient, points=points, note=note
                )
            programs.append(program)
    customers, partners = programs

    advocates = _advocates(rng, 150)
    if not advocates:
        return
    links = []
    for i, contact in enumerate(advocates):
        links.append(ReferralLink(program=customers, contact=contact, code=code_generate()))
        if i % 5 == 0:
            links.append(ReferralLink(program=partners, contact=contact, code=code_generate()))
    ReferralLink.objects.bulk_create(links, batch_size=1000)
    links = list(ReferralLink.objects.select_related("program", "contact", "contact__account"))
    # A few advocates share a lot; most share a little (a long tail, as in real programs).
    weights = [rng.paretovariate(1.2) for _ in links]

    _clicks(ctx, rng, links, weights)
    _leads(ctx, rng, links, weights)


def _clicks(ctx, rng, links, weights) -> None:
    total = 6000 * ctx.factor if ctx.factor > 1 else 6000
    total = max(total, 1_000_000) if ctx.factor >= 100 else total
    batch: list[ReferralClick] = []
    chosen = rng.choices(links, weights=weights, k=min(total, 200_000))
    pool_ips = [secrets.token_hex(16) for _ in range(5000)]
    for i in ctx.track(range(total), description="referral clicks", total=total):
        link = chosen[i % len(chosen)]
        agent = rng.choice(UAS)
        age_days = rng.random() ** 1.6 * 365
        batch.append(
            ReferralClick(
                link_id=link.pk,
                program_id=link.program_id,
                clicked_at=ctx.now - timedelta(days=age_days, seconds=rng.randint(0, 86399)),
                ip_hash=rng.choice(pool_ips),
                agent=agent,
                referer_host=rng.choice(
                    ["www.linkedin.com", "t.co", "mail.google.com", "", "", "outlook.office.com"]
                ),
                channel=rng.choice([*CHANNELS, "", ""]),
                is_bot=agent == "bot",
                is_duplicate=rng.random() < 0.06,
            )
        )
        if len(batch) >= 5000:
            ReferralClick.objects.bulk_create(batch)
            batch = []
    if batch:
        ReferralClick.objects.bulk_create(batch)


def _leads(ctx, rng, links, weights) -> None:
    n = 260 if ctx.factor < 100 else 2500
    fake = ctx.fake
    outcomes = (
        ["lead"] * 30
        + ["qualified"] * 20
        + ["opportunity"] * 14
        + ["won"] * 16
        + ["lost"] * 10
        + ["disqualified"] * 3
        + ["refunded"] * 2
    )
    used: set[str] = set()
    chosen = rng.choices(links, weights=weights, k=n)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for i in ctx.track(range(n), description="referral leads", total=n):
            link = chosen[i]
            referrer = link.contact
            first, last = fake.first_name(), fake.last_name()
            company, domain = rng.choice(COMPANIES)
            kind = rng.random()
            if kind < 0.09 and referrer.account and referrer.account.domain:
                email = f"{first.lower()}.{last.lower()}@{referrer.account.domain}"  # flagged
                company = referrer.account.name
            elif kind < 0.11:
                email = f"{first.lower()}{rng.randint(1, 99)}@mailinator.com"  # blocked
            elif kind < 0.12:
                email = referrer.email.replace("@", "+ref@")  # self-referral, blocked
            elif kind < 0.14 and used:
                email = rng.choice(sorted(used))  # referred twice: duplicate
            else:
                email = f"{first.lower()}.{last.lower()}{i}@{domain}"
            email = "".join(ch for ch in email if ch.isascii())
            try:
                referral = services.referral_submit(
                    program=link.program,
                    link=link,
                    first_name=first,
                    last_name=last,
                    email=email,
                    company=company,
                    message=rng.choice(["", "", f"{referrer.first_name} recommended you."]),
                    consent=True,
                    ip_hash=ip_hash(f"10.{i % 200}.{i % 7}.{i % 250}"),
                    channel=rng.choice([*CHANNELS[:4], ""]),
                )
            except ServiceError:
                continue  # demo data: skip an odd generated row
            used.add(email)
            created = ctx.now - timedelta(days=rng.random() ** 1.4 * 330, hours=rng.randint(0, 23))
            Referral.objects.filter(pk=referral.pk).update(
                created_at=created, status_changed_at=created
            )
            Activity.objects.filter(external_id=f"referral:{referral.pk}:made").update(
                occurred_at=created
            )
            if not referral.counts:
                continue
            if referral.review == Referral.Review.FLAGGED and rng.random() < 0.7:
                continue  # left in the review queue
            if referral.review == Referral.Review.FLAGGED:
                services.referral_review(referral_id=referral.pk, approve=rng.random() < 0.7)
                referral.refresh_from_db()
                if referral.status == Referral.Status.DISQUALIFIED:
                    continue
            _advance(referral, rng.choice(outcomes), rng, created, ctx)


def _advance(referral, outcome, rng, created, ctx) -> None:
    amount = Decimal(rng.choice([12000, 18000, 24000, 36000, 48000, 60000, 96000]))
    path = {
        "lead": [],
        "qualified": ["qualified"],
        "opportunity": ["qualified", "opportunity"],
        "won": ["qualified", "opportunity", "won"],
        "lost": ["qualified", "lost"],
        "disqualified": ["qualified", "disqualified"],
        "refunded": ["qualified", "opportunity", "won", "lost"],
    }[outcome]
    for step in path:
        services.referral_transition(
            referral_id=referral.pk,
            to_status=step,
            amount=amount if step == "won" else None,
            reason={
                "lost": "Chose to stay with their current tool for now.",
                "disqualified": "Student project, not a business prospect.",
            }.get(outcome if step in ("lost", "disqualified") else "", ""),
            source=ReferralEvent.Source.SYSTEM,
        )
    if path:
        done = min(ctx.now, created + timedelta(days=rng.randint(7, 120)))
        fields = {"status_changed_at": done}
        if "won" in path:
            fields["won_at"] = done
        Referral.objects.filter(pk=referral.pk).update(**fields)
