"""Writes to the directory. Upserts match by CRM id first, then by case-insensitive email, and
rely on the unique constraints (not a read-then-create) to stay single under concurrency."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ovation.core.errors import ServiceError

from .models import Account, Consent, Contact, Industry, Product, Region

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "title",
    "seniority",
    "persona",
    "phone",
    "timezone",
    "crm_id",
    "account",
    "is_active",
)
ACCOUNT_FIELDS = (
    "name",
    "domain",
    "industry",
    "region",
    "country",
    "employee_band",
    "arr",
    "customer_since",
    "renewal_date",
    "status",
    "csm_owner",
    "crm_id",
)


def taxonomy_get_or_create(model: type[Industry] | type[Region] | type[Product], name: str):
    name = name.strip()
    slug = slugify(name)[:100] or "unnamed"
    obj = model.objects.filter(slug=slug).first()
    if obj:
        return obj
    try:
        with transaction.atomic():
            return model.objects.create(name=name[:100], slug=slug)
    except IntegrityError:
        return model.objects.get(slug=slug)


def _find_contact(*, crm_id: str | None, email: str) -> Contact | None:
    if crm_id:
        found = Contact.objects.filter(crm_id=crm_id).first()
        if found:
            return found
    return Contact.objects.filter(email__iexact=email).first()


def contact_upsert(*, email: str, crm_id: str | None = None, **fields: Any) -> tuple[Contact, bool]:
    """Create or update a contact; returns (contact, created). Only changed fields are written."""
    email = (email or "").strip()
    if not email:
        raise ServiceError("email is required", field="email")
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    fields = {"email": email, **fields}
    if crm_id:
        fields["crm_id"] = crm_id
    for attempt in range(3):
        contact = _find_contact(crm_id=crm_id, email=email)
        try:
            with transaction.atomic():
                if contact is None:
                    return Contact.objects.create(**fields), True
                changed = [
                    name for name, value in fields.items() if getattr(contact, name) != value
                ]
                if changed:
                    for name in changed:
                        setattr(contact, name, fields[name])
                    contact.save(update_fields=[*changed, "updated_at"])
                return contact, False
        except IntegrityError:
            # A concurrent writer created the same email/CRM id: retry as an update.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def account_upsert(
    *, name: str, crm_id: str | None = None, products: list[Product] | None = None, **fields: Any
) -> tuple[Account, bool]:
    """Create or update an account matched by CRM id, then by domain, then by exact name."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("name is required", field="name")
    unknown = set(fields) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    fields = {"name": name, **fields}
    if crm_id:
        fields["crm_id"] = crm_id
    for attempt in range(3):
        account = None
        if crm_id:
            account = Account.objects.filter(crm_id=crm_id).first()
        if account is None and fields.get("domain"):
            account = Account.objects.filter(domain__iexact=fields["domain"]).first()
        if account is None:
            account = Account.objects.filter(name__iexact=name).first()
        try:
            with transaction.atomic():
                created = account is None
                if created:
                    account = Account.objects.create(**fields)
                else:
                    changed = [k for k, v in fields.items() if getattr(account, k) != v]
                    if changed:
                        for k in changed:
                            setattr(account, k, fields[k])
                        account.save(update_fields=[*changed, "updated_at"])
                if products is not None:
                    account.products.set(products)
                return account, created
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def consent_record(
    *, contact: Contact, purpose: str, is_granted: bool, source: str, actor=None, note: str = ""
) -> Consent:
    """Append a consent decision (the history is never overwritten)."""
    if purpose not in Consent.Purpose.values:
        raise ServiceError(f"unknown consent purpose {purpose!r}", field="purpose")
    if source not in Consent.Source.values:
        raise ServiceError(f"unknown source {source!r}", field="source")
    return Consent.objects.create(
        contact=contact,
        purpose=purpose,
        is_granted=is_granted,
        source=source,
        actor=actor,
        note=note,
        recorded_at=timezone.now(),
    )
