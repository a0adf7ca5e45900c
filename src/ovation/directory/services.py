"""Writes to the directory. Upserts match by CRM id first, then by case-insensitive email, and
rely on the unique constraints (not a read-then-create) to stay single under concurrency."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ovation.core.errors import ServiceError
from ovation.users.audit import audit_record

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


def _changed_fields(obj, fields: dict[str, Any]) -> list[str]:
    return [name for name, value in fields.items() if getattr(obj, name) != value]


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
    contact, status = contact_upsert_status(email=email, crm_id=crm_id, **fields)
    return contact, status == UPSERT_CREATED


UPSERT_CREATED, UPSERT_UPDATED, UPSERT_UNCHANGED = "created", "updated", "unchanged"


def contact_upsert_status(
    *, email: str, crm_id: str | None = None, **fields: Any
) -> tuple[Contact, str]:
    """Like `contact_upsert`, but says what happened: "created", "updated" or "unchanged"
    (the API's bulk endpoint reports it per item)."""
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
                    return Contact.objects.create(**fields), UPSERT_CREATED
                changed = _changed_fields(contact, fields)
                if changed:
                    for name in changed:
                        setattr(contact, name, fields[name])
                    contact.save(update_fields=[*changed, "updated_at"])
                return contact, UPSERT_UPDATED if changed else UPSERT_UNCHANGED
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
    with transaction.atomic():
        consent = Consent.objects.create(
            contact=contact,
            purpose=purpose,
            is_granted=is_granted,
            source=source,
            actor=actor,
            note=note,
            recorded_at=timezone.now(),
        )
        audit_record(
            action="consent.granted" if is_granted else "consent.withdrawn",
            actor=actor,
            target=contact,
            data={"purpose": purpose, "source": source, "note": note},
        )
    return consent


def _integrity_field(model, obj_id: int | None, fields: dict[str, Any]) -> ServiceError:
    """Turn a unique-constraint failure into an error naming the field that collided."""
    others = model.objects.exclude(pk=obj_id) if obj_id else model.objects.all()
    if fields.get("email") and others.filter(email__iexact=fields["email"]).exists():
        return ServiceError("another contact already has this email", field="email")
    if fields.get("crm_id") and others.filter(crm_id=fields["crm_id"]).exists():
        return ServiceError(f"another {model._meta.verbose_name} has this CRM id", field="crm_id")
    return ServiceError("this conflicts with an existing record")


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ServiceError(f"unknown field {unknown[0]}", field=unknown[0])


def contact_create(**fields: Any) -> Contact:
    """Create one contact (staff form). A duplicate email or CRM id is refused, naming the field."""
    _check_fields(fields, (*CONTACT_FIELDS, "stage"))
    fields["email"] = (fields.get("email") or "").strip()
    if not fields["email"]:
        raise ServiceError("email is required", field="email")
    fields["crm_id"] = fields.get("crm_id") or None
    try:
        with transaction.atomic():
            return Contact.objects.create(**fields)
    except IntegrityError:
        raise _integrity_field(Contact, None, fields) from None


def contact_update(*, contact: Contact, **fields: Any) -> list[str]:
    """Write the changed fields of `contact`; returns their names (empty when nothing changed)."""
    _check_fields(fields, (*CONTACT_FIELDS, "stage"))
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip()
        if not fields["email"]:
            raise ServiceError("email is required", field="email")
    if "crm_id" in fields:
        fields["crm_id"] = fields["crm_id"] or None
    if "stage" in fields and fields["stage"] not in Contact.Stage.values:
        raise ServiceError(f"unknown stage {fields['stage']!r}", field="stage")
    changed = _changed_fields(contact, fields)
    if not changed:
        return []
    try:
        with transaction.atomic():
            for name in changed:
                setattr(contact, name, fields[name])
            contact.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        contact.refresh_from_db()
        raise _integrity_field(Contact, contact.pk, fields) from None
    return changed


def account_create(*, products: list[Product] | None = None, **fields: Any) -> Account:
    """Create one account (staff form or API). A duplicate CRM id is refused, naming the field."""
    _check_fields(fields, ACCOUNT_FIELDS)
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise ServiceError("name is required", field="name")
    fields["crm_id"] = fields.get("crm_id") or None
    try:
        with transaction.atomic():
            account = Account.objects.create(**fields)
            if products:
                account.products.set(products)
            return account
    except IntegrityError:
        raise _integrity_field(Account, None, fields) from None


def account_update(
    *, account: Account, products: list[Product] | None = None, **fields: Any
) -> list[str]:
    """Write the changed fields (and, when given, the product list); returns what changed."""
    _check_fields(fields, ACCOUNT_FIELDS)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ServiceError("name is required", field="name")
    if "crm_id" in fields:
        fields["crm_id"] = fields["crm_id"] or None
    changed = _changed_fields(account, fields)
    try:
        with transaction.atomic():
            if changed:
                for name in changed:
                    setattr(account, name, fields[name])
                account.save(update_fields=[*changed, "updated_at"])
            if products is not None:
                before = set(account.products.values_list("id", flat=True))
                if before != {p.id for p in products}:
                    account.products.set(products)
                    changed.append("products")
    except IntegrityError:
        account.refresh_from_db()
        raise _integrity_field(Account, account.pk, fields) from None
    return changed


def taxonomy_save(
    model: type[Industry] | type[Region] | type[Product], *, name: str, instance=None
) -> Industry | Region | Product:
    """Create or rename a taxonomy entry; names (and their slugs) stay unique."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("name is required", field="name")
    if len(name) > 100:
        raise ServiceError("name is at most 100 characters", field="name")
    slug = slugify(name)[:100] or "unnamed"
    clash = model.objects.filter(slug=slug) | model.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ServiceError(f"{name!r} already exists", field="name")
    try:
        with transaction.atomic():
            if instance is None:
                return model.objects.create(name=name, slug=slug)
            instance.name, instance.slug = name, slug
            instance.save(update_fields=["name", "slug"])
            return instance
    except IntegrityError:
        raise ServiceError(f"{name!r} already exists", field="name") from None


@transaction.atomic
def taxonomy_delete(instance: Industry | Region | Product) -> None:
    """Delete an entry; accounts that used it keep their other data (industry/region set null,
    the product is removed from their product list)."""
    instance.delete()
