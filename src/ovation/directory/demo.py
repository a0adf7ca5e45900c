"""Demo directory for "Acme Analytics": customer accounts across industries and regions, their
contacts, products, CSM owners and consents. `--scale large` makes >= 100k contacts."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ovation.users.models import User

from .models import Account, Consent, Contact, Industry, Product, Region

INDUSTRIES = [
    "Healthcare",
    "Financial Services",
    "Retail",
    "Manufacturing",
    "Software",
    "Education",
    "Logistics",
    "Media",
    "Energy",
    "Public Sector",
]
REGIONS = {
    "North America": ["US", "CA"],
    "EMEA": ["GB", "DE", "FR", "BE", "NL", "SE"],
    "APAC": ["AU", "JP", "SG"],
    "LATAM": ["BR", "MX"],
}
REGION_TZ = {
    "North America": [
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Toronto",
    ],
    "EMEA": [
        "Europe/London",
        "Europe/Berlin",
        "Europe/Paris",
        "Europe/Brussels",
        "Europe/Stockholm",
    ],
    "APAC": ["Australia/Sydney", "Asia/Tokyo", "Asia/Singapore"],
    "LATAM": ["America/Sao_Paulo", "America/Mexico_City"],
}
PRODUCTS = [
    "Acme Dashboards",
    "Acme Pipelines",
    "Acme Forecast",
    "Acme Governance",
    "Acme Embedded",
]
TITLES = {
    Contact.Seniority.C_LEVEL: ["CFO", "CIO", "CTO", "Chief Data Officer", "COO"],
    Contact.Seniority.VP: ["VP Finance", "VP Analytics", "VP Operations", "VP Engineering"],
    Contact.Seniority.DIRECTOR: [
        "Director of BI",
        "Director of Data",
        "Finance Director",
        "IT Director",
    ],
    Contact.Seniority.MANAGER: ["Analytics Manager", "BI Manager", "Data Team Lead", "Controller"],
    Contact.Seniority.IC: [
        "Data Analyst",
        "BI Developer",
        "Data Engineer",
        "Financial Analyst",
        "Administrator",
    ],
}
PERSONA_BY_SENIORITY = {
    Contact.Seniority.C_LEVEL: [Contact.Persona.EXECUTIVE, Contact.Persona.FINANCE],
    Contact.Seniority.VP: [Contact.Persona.EXECUTIVE, Contact.Persona.BUSINESS],
    Contact.Seniority.DIRECTOR: [
        Contact.Persona.BUSINESS,
        Contact.Persona.TECHNICAL,
        Contact.Persona.FINANCE,
    ],
    Contact.Seniority.MANAGER: [
        Contact.Persona.BUSINESS,
        Contact.Persona.TECHNICAL,
        Contact.Persona.ADMIN,
    ],
    Contact.Seniority.IC: [
        Contact.Persona.END_USER,
        Contact.Persona.TECHNICAL,
        Contact.Persona.ADMIN,
    ],
}
BATCH = 5000


def already_loaded(ctx) -> bool:
    return Account.objects.filter(crm_id="ACME-ACC-000001").exists()


def _taxonomy(model, names):
    for name in names:
        model.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    return list(model.objects.filter(slug__in=[slugify(n) for n in names]))


def load(ctx) -> None:
    rng = ctx.rng("directory")
    fake = ctx.fake
    industries = _taxonomy(Industry, INDUSTRIES)
    regions = {r.name: r for r in _taxonomy(Region, list(REGIONS))}
    products = _taxonomy(Product, PRODUCTS)
    csms = list(User.objects.filter(role=User.Role.CSM).order_by("email"))
    n_accounts = 300 * ctx.factor
    contacts_per_account = (5, 1500 / 300)  # ~1,500 contacts at small scale
    today = timezone.localdate()

    accounts = []
    for i in ctx.track(range(1, n_accounts + 1), description="accounts", total=n_accounts):
        region_name = rng.choices(list(REGIONS), weights=[45, 35, 12, 8])[0]
        band = rng.choices(Account.EmployeeBand.values, weights=[15, 30, 30, 17, 8])[0]
        base_arr = {
            "1-50": 12_000,
            "51-200": 30_000,
            "201-1000": 80_000,
            "1001-5000": 180_000,
            "5001+": 420_000,
        }[band]
        since = today - timedelta(days=rng.randint(60, 6 * 365))
        status = rng.choices(Account.Status.values, weights=[2, 6, 78, 9, 5])[0]
        company = fake.unique.company() if n_accounts <= 2000 else f"{fake.company()} {i}"
        domain = slugify(company.replace(",", ""))[:40].strip("-") + rng.choice(
            [".com", ".io", ".co", ".net"]
        )
        accounts.append(
            Account(
                name=company,
                domain=domain,
                industry=rng.choice(industries),
                region=regions[region_name],
                country=rng.choice(REGIONS[region_name]),
                employee_band=band,
                arr=Decimal(int(base_arr * rng.uniform(0.5, 1.8))),
                customer_since=since,
                renewal_date=date(today.year, since.month, min(since.day, 28))
                + timedelta(days=365 * rng.randint(0, 1)),
                status=status,
                csm_owner=rng.choice(csms) if csms else None,
                crm_id=f"ACME-ACC-{i:06d}",
            )
        )
    with transaction.atomic():
        for start in range(0, len(accounts), BATCH):
            Account.objects.bulk_create(accounts[start : start + BATCH])
    accounts = list(Account.objects.filter(crm_id__startswith="ACME-ACC-").order_by("id"))
    through = Account.products.through
    links = []
    for account in accounts:
        for product in rng.sample(products, rng.randint(1, 4)):
            links.append(through(account_id=account.id, product_id=product.id))
    with transaction.atomic():
        for start in range(0, len(links), BATCH):
            through.objects.bulk_create(links[start : start + BATCH], ignore_conflicts=True)

    contacts = []
    seq = 0
    for account in ctx.track(accounts, description="contacts", total=len(accounts)):
        size = {"1-50": 2, "51-200": 4, "201-1000": 5, "1001-5000": 7, "5001+": 9}[
            account.employee_band
        ]
        for _ in range(max(1, int(rng.gauss(size * contacts_per_account[1] / 5, 1.5)))):
            seq += 1
            seniority = rng.choices(Contact.Seniority.values, weights=[40, 28, 17, 9, 6])[0]
            first, last = fake.first_name(), fake.last_name()
            local = slugify(f"{first}.{last}").replace("-", ".") or "contact"
            region_name = account.region.name if account.region_id else "EMEA"
            contacts.append(
                Contact(
                    account_id=account.id,
                    first_name=first,
                    last_name=last,
                    email=f"{local}.{seq}@{account.domain}",
                    title=rng.choice(TITLES[seniority]),
                    seniority=seniority,
                    persona=rng.choice(PERSONA_BY_SENIORITY[seniority]),
                    phone=fake.phone_number()[:40],
                    timezone=rng.choice(REGION_TZ[region_name]),
                    crm_id=f"ACME-CON-{seq:07d}",
                )
            )
            if len(contacts) >= BATCH:
                Contact.objects.bulk_create(contacts)
                contacts = []
    if contacts:
        Contact.objects.bulk_create(contacts)

    # Consents: most contacts decided something; some changed their mind later (history).
    consents = []
    now = timezone.now()
    for contact_id in ctx.track(
        Contact.objects.filter(crm_id__startswith="ACME-CON-")
        .values_list("id", flat=True)
        .iterator(),
        description="consents",
        total=seq,
    ):
        for purpose in Consent.Purpose.values:
            if rng.random() < 0.55:
                when = now - timedelta(days=rng.uniform(30, 540))
                granted = rng.random() < 0.7
                consents.append(
                    Consent(
                        contact_id=contact_id,
                        purpose=purpose,
                        is_granted=granted,
                        source=Consent.Source.IMPORT,
                        recorded_at=when,
                    )
                )
                if rng.random() < 0.08:
                    consents.append(
                        Consent(
                            contact_id=contact_id,
                            purpose=purpose,
                            is_granted=not granted,
                            source=Consent.Source.HUB,
                            recorded_at=when + timedelta(days=rng.uniform(1, 29)),
                            note="changed in the hub",
                        )
                    )
        if len(consents) >= BATCH:
            Consent.objects.bulk_create(consents)
            consents = []
    if consents:
        Consent.objects.bulk_create(consents)


def reset(ctx) -> None:
    Contact.objects.filter(crm_id__startswith="ACME-CON-").delete()
    Account.objects.filter(crm_id__startswith="ACME-ACC-").delete()
