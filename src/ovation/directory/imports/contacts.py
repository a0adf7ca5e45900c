"""Contacts import/export: upsert by CRM id, then by case-insensitive email; attach to an
account by the account's CRM id, then its domain, then its name.

Each batch costs a constant number of queries: one for existing contacts by CRM id, one by
lower(email), up to three for accounts not seen earlier in the run, one INSERT executemany for
new contacts and one UPDATE executemany per set of changed columns."""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models.functions import Lower

from ..models import Account, Contact
from .base import (
    GENERIC,
    BatchResult,
    Field,
    ImportContext,
    Importer,
    Row,
    db_datetime,
    insert_rows,
    parsers,
    select_in,
    update_rows,
)


@functools.cache
def _timezones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_timezone(value: str) -> str:
    try:
        return _timezones()[value.strip().lower()]
    except KeyError:
        raise ValueError(f"{value!r} is not a time zone name (e.g. Europe/Brussels)") from None


# Contact attributes an import may set (field name == model attribute).
CONTACT_ATTRS = (
    "crm_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "persona",
    "phone",
    "timezone",
    "is_active",
)
ACCOUNT_KEYS = frozenset(("account_crm_id", "account_domain", "account_name"))


class AccountResolver:
    """Finds account ids by CRM id, domain or name for a batch, with per-run caches so each
    key is looked up once per run (at most three queries per batch)."""

    def __init__(self, state: dict[str, Any]):
        self.by_crm: dict[str, int | None] = state.setdefault("acc_crm", {})
        self.by_domain: dict[str, int | None] = state.setdefault("acc_domain", {})
        self.by_name: dict[str, list[int]] = state.setdefault("acc_name", {})

    def prefetch(self, rows: list[Row]) -> None:
        crm_ids = {r.values["account_crm_id"] for r in rows if "account_crm_id" in r.values}
        domains = {r.values["account_domain"] for r in rows if "account_domain" in r.values}
        names = {r.values["account_name"].lower() for r in rows if "account_name" in r.values}
        crm_ids -= self.by_crm.keys()
        domains -= self.by_domain.keys()
        names -= self.by_name.keys()
        if crm_ids:
            found = dict(Account.objects.filter(crm_id__in=crm_ids).values_list("crm_id", "id"))
            for key in crm_ids:
                self.by_crm[key] = found.get(key)
        if domains:
            found_domains: dict[str, int] = {}
            for domain, pk in (
                Account.objects.annotate(d=Lower("domain"))
                .filter(d__in=domains)
                .order_by("id")
                .values_list("d", "id")
            ):
                found_domains.setdefault(domain, pk)
            for key in domains:
                self.by_domain[key] = found_domains.get(key)
        if names:
            found_names: dict[str, list[int]] = defaultdict(list)
            for name, pk in (
                Account.objects.annotate(n=Lower("name"))
                .filter(n__in=names)
                .order_by("id")
                .values_list("n", "id")
            ):
                found_names[name].append(pk)
            for key in names:
                self.by_name[key] = found_names.get(key, [])

    def resolve(self, values: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
        """(account id, error field, error message); (None, None, None) when no account key."""
        tried = []
        if "account_crm_id" in values:
            pk = self.by_crm.get(values["account_crm_id"])
            if pk:
                return pk, None, None
            tried.append(("account_crm_id", f"CRM id {values['account_crm_id']!r}"))
        if "account_domain" in values:
            pk = self.by_domain.get(values["account_domain"])
            if pk:
                return pk, None, None
            tried.append(("account_domain", f"domain {values['account_domain']!r}"))
        if "account_name" in values:
            ids = self.by_name.get(values["account_name"].lower(), [])
            if len(ids) == 1:
                return ids[0], None, None
            if len(ids) > 1:
                return (
                    None,
                    "account_name",
                    f"{len(ids)} accounts are named {values['account_name']!r}; "
                    "give account_crm_id or account_domain",
                )
            tried.append(("account_name", f"name {values['account_name']!r}"))
        if not tried:
            return None, None, None
        return (
            None,
            tried[0][0],
            "no account with " + " or ".join(t[1] for t in tried) + " (import accounts first)",
        )


class ContactImporter(Importer):
    kind = "contacts"
    label = "Contacts"
    description = (
        "People at customer accounts. Matched by CRM id, then by email (case-insensitive); "
        "attached to accounts by account CRM id, domain or name."
    )
    fields = [
        Field("crm_id", parse=parsers.text(64), label="CRM id"),
        Field("email", required=True, parse=parsers.email),
        Field("first_name", parse=parsers.text(100)),
        Field("last_name", parse=parsers.text(100)),
        Field("title", parse=parsers.text(200)),
        Field("seniority", parse=parsers.choice(Contact.Seniority.choices)),
        Field("persona", parse=parsers.choice(Contact.Persona.choices)),
        Field("phone", parse=parsers.text(40)),
        Field("timezone", parse=parse_timezone),
        Field("is_active", parse=parsers.boolean, label="Active"),
        Field("account_crm_id", parse=parsers.text(64), label="Account CRM id"),
        Field("account_domain", parse=parsers.domain, label="Account domain"),
        Field("account_name", parse=parsers.text(200), label="Account name"),
    ]
    presets = {
        # Salesforce Contact export (API field names, e.g. Data Loader / Data Export).
        "salesforce": {
            "Id": "crm_id",
            "Email": "email",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Title": "title",
            "Phone": "phone",
            "AccountId": "account_crm_id",
            "Account.Name": "account_name",
        },
        # HubSpot contacts export (column labels).
        "hubspot": {
            "Record ID": "crm_id",
            "Email": "email",
            "First Name": "first_name",
            "Last Name": "last_name",
            "Job Title": "title",
            "Phone Number": "phone",
            "Company Name": "account_name",
            "Associated Company ID": "account_crm_id",
            "Time Zone": "timezone",
        },
        GENERIC: {"Email Address": "email"},
    }
    batch_size = 2000

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        result = BatchResult()
        seen_email: dict[str, int] = ctx.state.setdefault("seen_email", {})
        seen_crm: dict[str, int] = ctx.state.setdefault("seen_crm", {})

        # 1. Duplicates inside the file: the first row wins, later ones are named.
        good: list[Row] = []
        for row in rows:
            email = row.values["email"].lower()
            crm = row.values.get("crm_id")
            if email in seen_email:
                result.reject(
                    row, "email", f"{row.values['email']!r} is also on row {seen_email[email]}"
                )
                continue
            if crm and crm in seen_crm:
                result.reject(row, "crm_id", f"{crm!r} is also on row {seen_crm[crm]}")
                continue
            seen_email[email] = row.number
            if crm:
                seen_crm[crm] = row.number
            good.append(row)

        # 2. Accounts.
        accounts = AccountResolver(ctx.state)
        if any(not ACCOUNT_KEYS.isdisjoint(row.values) for row in good):
            accounts.prefetch(good)

        # 3. Existing contacts: one query by CRM id, one by lower(email).
        columns = ("id", "account_id", *CONTACT_ATTRS)
        crm_ids = [row.values["crm_id"] for row in good if "crm_id" in row.values]
        by_crm = {
            found[2]: dict(zip(columns, found, strict=True))
            for found in select_in(Contact, columns, "crm_id", crm_ids)
        }
        emails = [row.values["email"].lower() for row in good]
        by_email = {
            found[3].lower(): dict(zip(columns, found, strict=True))
            for found in select_in(Contact, columns, "email", emails, lower=True)
        }

        now = db_datetime(ctx.now)
        inserts: list[tuple] = []
        updates: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
        for row in good:
            values = row.values
            account_id = None
            if not ACCOUNT_KEYS.isdisjoint(values):
                account_id, field_name, message = accounts.resolve(values)
                if message:
                    result.reject(row, field_name, message)
                    continue
            crm = values.get("crm_id")
            existing = by_crm.get(crm) if crm else None
            email_match = by_email.get(values["email"].lower())
            if existing is None:
                existing = email_match
                if existing and crm and existing["crm_id"] and existing["crm_id"] != crm:
                    result.reject(
                        row,
                        "crm_id",
                        f"{crm!r} differs from CRM id {existing['crm_id']!r} of the contact "
                        f"with email {existing['email']!r}",
                    )
                    continue
            elif email_match and email_match["id"] != existing["id"]:
                result.reject(
                    row,
                    "email",
                    f"{values['email']!r} belongs to another contact (CRM id "
                    f"{email_match['crm_id'] or 'none'})",
                )
                continue

            if existing is None:
                inserts.append(
                    (
                        now,
                        now,
                        account_id,
                        values.get("first_name", ""),
                        values.get("last_name", ""),
                        values["email"],
                        values.get("title", ""),
                        values.get("seniority", ""),
                        values.get("persona", ""),
                        values.get("phone", ""),
                        values.get("timezone", ""),
                        crm,
                        Contact.Stage.CUSTOMER,
                        values.get("is_active", True),
                    )
                )
                result.created += 1
                continue
            changed = [
                name for name in CONTACT_ATTRS if name in values and existing[name] != values[name]
            ]
            new_values = [values[name] for name in changed]
            if account_id is not None and existing["account_id"] != account_id:
                changed.append("account_id")
                new_values.append(account_id)
            if not changed:
                result.unchanged += 1
                continue
            updates[(*changed, "updated_at")].append((*new_values, now, existing["id"]))
            result.updated += 1

        insert_rows(
            Contact,
            [
                "created_at",
                "updated_at",
                "account_id",
                "first_name",
                "last_name",
                "email",
                "title",
                "seniority",
                "persona",
                "phone",
                "timezone",
                "crm_id",
                "stage",
                "is_active",
            ],
            inserts,
        )
        for changed_columns, values in updates.items():
            update_rows(Contact, changed_columns, values)
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        names = [
            "crm_id",
            "email",
            "first_name",
            "last_name",
            "title",
            "seniority",
            "persona",
            "phone",
            "timezone",
            "is_active",
            "account__crm_id",
            "account__domain",
            "account__name",
        ]
        queryset = Contact.objects.order_by("id").values_list(*names)
        keys = [name.replace("account__", "account_") for name in names]
        for values in queryset.iterator(chunk_size=2000):
            yield dict(zip(keys, values, strict=True))


IMPORTER = ContactImporter()
