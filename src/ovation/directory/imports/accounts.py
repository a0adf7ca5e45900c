"""Accounts import/export: upsert by CRM id, then domain, then name (case-insensitive).

Industries, regions and products are taxonomy names (created when new); the CSM owner is a
staff user's email; products are separated by `;`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.db.models.functions import Lower

from ..models import Account, Industry, Product, Region
from ..services import taxonomy_get_or_create
from .base import GENERIC, BatchResult, Field, ImportContext, Importer, Row, parsers

BANDS = [
    (50, Account.EmployeeBand.XS),
    (200, Account.EmployeeBand.S),
    (1000, Account.EmployeeBand.M),
    (5000, Account.EmployeeBand.L),
]
_band_choice = parsers.choice(Account.EmployeeBand.choices)


def parse_employee_band(value: str) -> str:
    """A band (`201-1000`, `201-1,000`) or a head count (`350` -> `201-1000`)."""
    text = value.replace(",", "").replace(" ", "")
    if text.isdigit():
        count = int(text)
        for limit, band in BANDS:
            if count <= limit:
                return band
        return Account.EmployeeBand.XL
    return _band_choice(value)


def format_names(value: Any) -> str:
    return "; ".join(value or [])


# Plain attributes compared and written as they are (field name == model attribute).
PLAIN = (
    "crm_id",
    "name",
    "domain",
    "country",
    "employee_band",
    "arr",
    "customer_since",
    "renewal_date",
    "status",
)
TAXONOMIES = {"industry": Industry, "region": Region}


class AccountImporter(Importer):
    kind = "accounts"
    label = "Accounts"
    description = "Customer companies. Matched by CRM id, then domain, then name."
    fields = [
        Field("crm_id", parse=parsers.text(64), label="CRM id"),
        Field("name", required=True, parse=parsers.text(200)),
        Field("domain", parse=parsers.domain),
        Field("industry", parse=parsers.text(100)),
        Field("region", parse=parsers.text(100)),
        Field("country", parse=parsers.country, help="ISO code, e.g. US"),
        Field("employee_band", parse=parse_employee_band, help="band or head count"),
        Field("arr", parse=parsers.decimal(min_value=0), label="ARR"),
        Field("customer_since", parse=parsers.date),
        Field("renewal_date", parse=parsers.date),
        Field("status", parse=parsers.choice(Account.Status.choices)),
        Field("csm_owner_email", parse=parsers.email, label="CSM owner email"),
        Field("products", parse=parsers.name_list, format=format_names, help="a; b; c"),
    ]
    presets = {
        # Salesforce Account export (API field names).
        "salesforce": {
            "Id": "crm_id",
            "Name": "name",
            "Website": "domain",
            "Industry": "industry",
            "BillingCountry": "country",
            "NumberOfEmployees": "employee_band",
            "Owner.Email": "csm_owner_email",
        },
        # HubSpot companies export (column labels).
        "hubspot": {
            "Record ID": "crm_id",
            "Company name": "name",
            "Name": "name",
            "Company Domain Name": "domain",
            "Website URL": "domain",
            "Industry": "industry",
            "Country/Region": "country",
            "Number of Employees": "employee_band",
            "Annual Revenue": "arr",
        },
        GENERIC: {"Account name": "name", "Website": "domain", "CSM": "csm_owner_email"},
    }
    batch_size = 1000

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        result = BatchResult()
        seen: dict[str, int] = ctx.state.setdefault("seen", {})
        good: list[Row] = []
        for row in rows:
            keys = [f"crm:{row.values['crm_id']}"] if "crm_id" in row.values else []
            if "domain" in row.values:
                keys.append(f"domain:{row.values['domain']}")
            duplicate = next((k for k in keys if k in seen), None)
            if duplicate:
                name = "crm_id" if duplicate.startswith("crm:") else "domain"
                result.reject(row, name, f"{row.values[name]!r} is also on row {seen[duplicate]}")
                continue
            for key in keys:
                seen[key] = row.number
            good.append(row)

        # Look-ups: users by email, taxonomies by name (cached for the run).
        users: dict[str, Any] = ctx.state.setdefault("users", {})
        wanted = {
            r.values["csm_owner_email"].lower() for r in good if "csm_owner_email" in r.values
        }
        wanted -= users.keys()
        if wanted:
            User = get_user_model()
            found = dict(
                User.objects.annotate(e=Lower("email")).filter(e__in=wanted).values_list("e", "pk")
            )
            for email in wanted:
                users[email] = found.get(email)
        taxonomy_cache: dict[tuple[str, str], Any] = ctx.state.setdefault("taxonomy", {})

        def taxonomy(model, name: str):
            key = (model.__name__, name.lower())
            if key not in taxonomy_cache:
                taxonomy_cache[key] = taxonomy_get_or_create(model, name)
            return taxonomy_cache[key]

        # Existing accounts: by CRM id, lower(domain), lower(name).
        crm_ids = [r.values["crm_id"] for r in good if "crm_id" in r.values]
        domains = [r.values["domain"] for r in good if "domain" in r.values]
        names = [r.values["name"].lower() for r in good]
        base = Account.objects.prefetch_related(
            Prefetch("products", queryset=Product.objects.only("id", "name"))
        )
        by_crm = {a.crm_id: a for a in base.filter(crm_id__in=crm_ids)} if crm_ids else {}
        by_domain: dict[str, Account] = {}
        if domains:
            for account in base.annotate(d=Lower("domain")).filter(d__in=domains).order_by("id"):
                by_domain.setdefault(account.d, account)
        by_name: dict[str, list[Account]] = defaultdict(list)
        for account in base.annotate(n=Lower("name")).filter(n__in=names).order_by("id"):
            by_name[account.n].append(account)

        to_create: list[tuple[Account, list | None]] = []
        to_update: dict[tuple[str, ...], list[Account]] = defaultdict(list)
        product_sets: list[tuple[Account, list]] = []
        for row in good:
            values = row.values
            account = by_crm.get(values.get("crm_id")) if "crm_id" in values else None
            if account is None and "domain" in values:
                account = by_domain.get(values["domain"])
            if account is None:
                same_name = by_name.get(values["name"].lower(), [])
                if len(same_name) > 1:
                    result.reject(
                        row,
                        "name",
                        f"{len(same_name)} accounts are named {values['name']!r}; "
                        "give crm_id or domain",
                    )
                    continue
                account = same_name[0] if same_name else None
            if (
                account is not None
                and "crm_id" in values
                and account.crm_id
                and account.crm_id != values["crm_id"]
            ):
                result.reject(
                    row,
                    "crm_id",
                    f"{values['crm_id']!r} differs from CRM id {account.crm_id!r} of the "
                    f"matching account {account.name!r}",
                )
                continue
            target: dict[str, Any] = {k: values[k] for k in PLAIN if k in values}
            if "csm_owner_email" in values:
                owner = users.get(values["csm_owner_email"].lower())
                if owner is None:
                    result.reject(
                        row,
                        "csm_owner_email",
                        f"no user with email {values['csm_owner_email']!r}",
                    )
                    continue
                target["csm_owner_id"] = owner
            for name, model in TAXONOMIES.items():
                if name in values:
                    target[f"{name}_id"] = taxonomy(model, values[name]).pk
            products = (
                [taxonomy(Product, n) for n in values["products"]] if "products" in values else None
            )
            if account is None:
                to_create.append(
                    (Account(**target, created_at=ctx.now, updated_at=ctx.now), products)
                )
                result.created += 1
                continue
            changed = [k for k, v in target.items() if getattr(account, k) != v]
            products_changed = products is not None and {p.pk for p in products} != {
                p.pk for p in account.products.all()
            }
            if not changed and not products_changed:
                result.unchanged += 1
                continue
            for k in changed:
                setattr(account, k, target[k])
            account.updated_at = ctx.now
            to_update[(*changed, "updated_at")].append(account)
            if products_changed:
                product_sets.append((account, products))
            result.updated += 1

        if to_create:
            created = Account.objects.bulk_create([a for a, _ in to_create])
            product_sets.extend(
                (account, products)
                for account, (_, products) in zip(created, to_create, strict=True)
                if products
            )
        for changed_fields, accounts in to_update.items():
            Account.objects.bulk_update(accounts, list(changed_fields))
        if product_sets:
            Through = Account.products.through
            Through.objects.filter(account_id__in=[a.pk for a, _ in product_sets]).delete()
            Through.objects.bulk_create(
                [
                    Through(account_id=account.pk, product_id=product.pk)
                    for account, products in product_sets
                    for product in {p.pk: p for p in products}.values()
                ]
            )
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        queryset = (
            Account.objects.select_related("industry", "region", "csm_owner")
            .prefetch_related(Prefetch("products", queryset=Product.objects.only("id", "name")))
            .order_by("id")
        )
        for account in queryset.iterator(chunk_size=2000):
            yield {
                **{k: getattr(account, k) for k in PLAIN},
                "industry": account.industry.name if account.industry else "",
                "region": account.region.name if account.region else "",
                "csm_owner_email": account.csm_owner.email if account.csm_owner else "",
                "products": sorted(p.name for p in account.products.all()),
            }


IMPORTER = AccountImporter()
