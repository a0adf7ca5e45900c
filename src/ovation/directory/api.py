"""Directory JSON API: accounts, contacts (with bulk upsert for CRM syncs), their activities and
consents. Paths are fixed by INTERFACES.md. Every endpoint checks the caller's role with
`require_perm` and calls the same services as the staff pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError, field_validator

from ovation.activity.models import Activity
from ovation.activity.services import activity_record
from ovation.core.api import ApiError, Problem, paginate_cursor, require_perm
from ovation.core.errors import ServiceError
from ovation.users.models import User

from . import selectors, services
from .filters import account_filter, contact_filter
from .models import Account, Consent, Contact, Industry, Product, Region

router = Router(tags=["directory"])

READ, WRITE = "ovation.view_directory", "ovation.edit_directory"
DETAILS = "ovation.view_contact_details"
BULK_MAX = 1000
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}

Stage = Literal["customer", "promoter", "advocate", "champion"]
Seniority = Literal["", "ic", "manager", "director", "vp", "c_level"]
Persona = Literal["", "executive", "admin", "technical", "business", "finance", "end_user"]
AccountStatus = Literal["prospect", "onboarding", "active", "at_risk", "churned"]
EmployeeBand = Literal["", "1-50", "51-200", "201-1000", "1001-5000", "5001+"]
Purpose = Literal["reference_calls", "public_name", "logo", "case_study", "marketing_email"]

_TIMEZONES: set[str] = set()


def _check_email(value: str | None) -> str | None:
    if value is None:
        return value
    value = value.strip()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("enter a valid email address") from None
    return value


def _check_timezone(value: str | None) -> str | None:
    if not value:
        return value
    if not _TIMEZONES:
        _TIMEZONES.update(available_timezones())
    if value not in _TIMEZONES:
        raise ValueError("unknown time zone; use an IANA name such as Europe/Brussels")
    return value


def _check_country(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) != 2 or not value.isalpha():
        raise ValueError("use a two-letter ISO 3166-1 country code, e.g. BE")
    return value.upper()


class ListPage(Schema):
    next: str | None = Field(None, description="URL of the next page; null on the last one")


# --- accounts ----------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    name: str
    domain: str
    crm_id: str | None
    industry: str | None = Field(None, description="industry name")
    region: str | None = Field(None, description="region name")
    country: str
    employee_band: str
    arr: Decimal
    products: list[str]
    customer_since: date | None
    renewal_date: date | None
    status: str
    csm_owner_email: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_industry(obj: Account) -> str | None:
        return obj.industry.name if obj.industry_id else None

    @staticmethod
    def resolve_region(obj: Account) -> str | None:
        return obj.region.name if obj.region_id else None

    @staticmethod
    def resolve_products(obj: Account) -> list[str]:
        return [p.name for p in obj.products.all()]

    @staticmethod
    def resolve_csm_owner_email(obj: Account) -> str | None:
        return obj.csm_owner.email if obj.csm_owner_id else None


class AccountPage(ListPage):
    items: list[AccountOut]


class AccountPatch(Schema):
    """Fields to change; omitted fields are left as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    domain: str | None = Field(None, max_length=200)
    crm_id: str | None = Field(None, max_length=64)
    industry: str | None = Field(None, max_length=100, description="name; created if new")
    region: str | None = Field(None, max_length=100, description="name; created if new")
    country: str | None = None
    employee_band: EmployeeBand | None = None
    arr: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    products: list[str] | None = Field(None, description="product names; replaces the list")
    customer_since: date | None = None
    renewal_date: date | None = None
    status: AccountStatus | None = None
    csm_owner_email: str | None = Field(None, description="a staff user's email")

    _country = field_validator("country")(_check_country)


class AccountIn(AccountPatch):
    """An account to create, or to update when one matches by CRM id, then domain, then name."""

    name: str = Field(..., min_length=1, max_length=200)


class AccountQuery(Schema):
    q: str = Field("", description="name, domain or CRM id contains")
    domain: str = ""
    crm_id: str = ""
    industry: str = Field("", description="industry slug")
    region: str = Field("", description="region slug")
    product: str = Field("", description="product slug")
    status: AccountStatus | Literal[""] = ""
    csm_owner: int | None = Field(None, description="user id of the CSM owner")
    employee_band: EmployeeBand = ""
    updated_since: datetime | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


def _taxonomy(model, name: str | None):
    if not name:
        return None
    return services.taxonomy_get_or_create(model, name)


def _account_fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[Product] | None]:
    products = None
    if "products" in data:
        names = data.pop("products") or []
        products = [services.taxonomy_get_or_create(Product, n) for n in names if n.strip()]
    if "industry" in data:
        data["industry"] = _taxonomy(Industry, data["industry"])
    if "region" in data:
        data["region"] = _taxonomy(Region, data["region"])
    if "csm_owner_email" in data:
        email = data.pop("csm_owner_email")
        owner = None
        if email:
            owner = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
            if owner is None or not owner.is_staff_member:
                raise ApiError(422, f"no staff user {email}", field="csm_owner_email")
        data["csm_owner"] = owner
    for key in ("domain", "country", "employee_band"):
        if key in data and data[key] is None:
            data[key] = ""
    if "arr" in data and data["arr"] is None:
        data["arr"] = Decimal(0)
    if data.get("status") is None:
        data.pop("status", None)
    return data, products


def _account_get(account_id: int) -> Account:
    account = selectors.account_detail_queryset().filter(pk=account_id).first()
    if account is None:
        raise ApiError(404, f"no account with id {account_id}", field="id")
    return account


@router.get("/accounts", response={200: AccountPage, **ERRORS}, summary="List accounts")
def accounts_list(request: HttpRequest, filters: Query[AccountQuery]):
    require_perm(request, READ)
    params = filters.model_dump(exclude={"cursor", "limit"})
    qs = account_filter(selectors.account_list().prefetch_related("products"), **params)
    return paginate_cursor(request, qs, cursor=filters.cursor, limit=filters.limit)


@router.post(
    "/accounts",
    response={200: AccountOut, 201: AccountOut, **ERRORS},
    summary="Create or update an account (upsert by CRM id, then domain, then name)",
)
def accounts_upsert(request: HttpRequest, payload: AccountIn):
    require_perm(request, WRITE, write=True)
    data, products = _account_fields(payload.model_dump(exclude_unset=True))
    try:
        account, created = services.account_upsert(products=products, **data)
    except IntegrityError:
        raise ApiError(409, "another account has this CRM id", field="crm_id") from None
    return Status(201 if created else 200, _account_get(account.pk))


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS}, summary="An account")
def accounts_get(request: HttpRequest, account_id: int):
    require_perm(request, READ)
    return _account_get(account_id)


@router.patch(
    "/accounts/{account_id}", response={200: AccountOut, **ERRORS}, summary="Update an account"
)
def accounts_patch(request: HttpRequest, account_id: int, payload: AccountPatch):
    require_perm(request, WRITE, write=True)
    account = _account_get(account_id)
    data, products = _account_fields(payload.model_dump(exclude_unset=True))
    services.account_update(account=account, products=products, **data)
    return _account_get(account.pk)


# --- contacts ----------------------------------------------------------------------------------


class ContactOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    title: str
    seniority: str
    persona: str
    phone: str
    timezone: str
    crm_id: str | None
    stage: str
    is_active: bool
    account_id: int | None
    account_name: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_account_name(obj: Contact) -> str | None:
        return obj.account.name if obj.account_id else None

    # Email and phone go to callers who may see contact details; others get "" (see
    # docs/permissions.md, "Object level").
    @staticmethod
    def resolve_email(obj: Contact, context) -> str:
        return obj.email if _shows_details(context) else ""

    @staticmethod
    def resolve_phone(obj: Contact, context) -> str:
        return obj.phone if _shows_details(context) else ""


def _shows_details(context) -> bool:
    request = (context or {}).get("request")
    return request is None or request.user.has_perm(DETAILS)


class ContactPage(ListPage):
    items: list[ContactOut]


class ContactPatch(Schema):
    """Fields to change; omitted fields are left as they are."""

    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    title: str | None = Field(None, max_length=200)
    seniority: Seniority | None = None
    persona: Persona | None = None
    phone: str | None = Field(None, max_length=40)
    timezone: str | None = Field(None, max_length=64)
    crm_id: str | None = Field(None, max_length=64)
    stage: Stage | None = None
    is_active: bool | None = None
    account_id: int | None = Field(None, description="the account's Ovation id")
    account_crm_id: str | None = Field(None, description="or the account's CRM id")

    _email = field_validator("email")(_check_email)
    _tz = field_validator("timezone")(_check_timezone)


class ContactIn(ContactPatch):
    """A contact to create, or to update when one matches by CRM id, then email (any case)."""

    email: str = Field(..., max_length=254)


class ContactQuery(Schema):
    email: str = Field("", description="exact, case-insensitive")
    q: str = Field("", description="name, email or company contains")
    updated_since: datetime | None = None
    industry: str = Field("", description="account's industry slug")
    region: str = Field("", description="account's region slug")
    product: str = Field("", description="account's product slug")
    stage: Stage | Literal[""] = ""
    status: AccountStatus | Literal[""] = Field("", description="account's status")
    csm_owner: int | None = Field(None, description="user id of the account's CSM")
    seniority: Seniority = ""
    persona: Persona = ""
    account_id: int | None = None
    is_active: bool | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


class BulkIn(Schema):
    items: list[dict[str, Any]] = Field(
        ...,
        min_length=1,
        max_length=BULK_MAX,
        description="up to 1,000 contacts, each shaped like the body of POST /contacts",
    )


class FieldErrorOut(Schema):
    field: str
    message: str


class BulkItemResult(Schema):
    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: int | None = None
    errors: list[FieldErrorOut] = []


class BulkOut(Schema):
    created: int
    updated: int
    unchanged: int
    errors: int
    results: list[BulkItemResult]


class _AccountResolver:
    """Looks accounts up by id or CRM id once per request (a bulk call repeats them)."""

    def __init__(self):
        self.by_id: dict[int, Account | None] = {}
        self.by_crm: dict[str, Account | None] = {}

    def resolve(self, data: dict[str, Any]) -> None:
        crm_id = data.pop("account_crm_id", None)
        if "account_id" in data:
            account_id = data.pop("account_id")
            if account_id is None:
                data["account"] = None
            else:
                if account_id not in self.by_id:
                    self.by_id[account_id] = Account.objects.filter(pk=account_id).first()
                if self.by_id[account_id] is None:
                    raise ServiceError(f"no account with id {account_id}", field="account_id")
                data["account"] = self.by_id[account_id]
        elif crm_id:
            if crm_id not in self.by_crm:
                self.by_crm[crm_id] = Account.objects.filter(crm_id=crm_id).first()
            if self.by_crm[crm_id] is None:
                raise ServiceError(f"no account with CRM id {crm_id}", field="account_crm_id")
            data["account"] = self.by_crm[crm_id]


def _contact_fields(data: dict[str, Any], accounts: _AccountResolver) -> dict[str, Any]:
    accounts.resolve(data)
    for key in ("first_name", "last_name", "title", "seniority", "persona", "phone", "timezone"):
        if key in data and data[key] is None:
            data[key] = ""
    for key in ("stage", "is_active"):
        if key in data and data[key] is None:
            data.pop(key)
    return data


def _contact_upsert(data: dict[str, Any], accounts: _AccountResolver) -> tuple[Contact, str]:
    data = _contact_fields(data, accounts)
    stage = data.pop("stage", None)
    contact, status = services.contact_upsert_status(**data)
    if stage and stage != contact.stage:
        services.contact_update(contact=contact, stage=stage)
        status = services.UPSERT_CREATED if status == "created" else services.UPSERT_UPDATED
    return contact, status


def _contact_get(contact_id: int) -> Contact:
    contact = selectors.contact_list().filter(pk=contact_id).first()
    if contact is None:
        raise ApiError(404, f"no contact with id {contact_id}", field="id")
    return contact


@router.get("/contacts", response={200: ContactPage, **ERRORS}, summary="List contacts")
def contacts_list(request: HttpRequest, filters: Query[ContactQuery]):
    require_perm(request, READ)
    params = filters.model_dump(exclude={"cursor", "limit"})
    qs = contact_filter(selectors.contact_list(), **params)
    return paginate_cursor(request, qs, cursor=filters.cursor, limit=filters.limit)


@router.post(
    "/contacts",
    response={200: ContactOut, 201: ContactOut, **ERRORS},
    summary="Create or update a contact (upsert by CRM id, then email)",
)
def contacts_upsert(request: HttpRequest, payload: ContactIn):
    require_perm(request, WRITE, write=True)
    contact, status = _contact_upsert(payload.model_dump(exclude_unset=True), _AccountResolver())
    return Status(201 if status == services.UPSERT_CREATED else 200, _contact_get(contact.pk))


def _pydantic_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "item", "message": e["msg"]}
        for e in exc.errors()
    ]


@router.post(
    "/contacts/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Upsert up to 1,000 contacts; valid items land, each item gets its own result",
)
def contacts_bulk(request: HttpRequest, payload: BulkIn):
    require_perm(request, WRITE, write=True)
    accounts = _AccountResolver()
    results = []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
    for index, item in enumerate(payload.items):
        try:
            parsed = ContactIn.model_validate(item)
            contact, status = _contact_upsert(parsed.model_dump(exclude_unset=True), accounts)
        except ValidationError as exc:
            result = {"index": index, "status": "error", "errors": _pydantic_errors(exc)}
        except ServiceError as exc:
            result = {
                "index": index,
                "status": "error",
                "errors": [{"field": exc.field or "item", "message": exc.message}],
            }
        except IntegrityError:
            result = {
                "index": index,
                "status": "error",
                "errors": [{"field": "crm_id", "message": "another contact has this CRM id"}],
            }
        else:
            result = {"index": index, "status": status, "id": contact.pk}
        counts[result["status"]] += 1
        results.append(result)
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "errors": counts["error"],
        "results": results,
    }


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="A contact")
def contacts_get(request: HttpRequest, contact_id: int):
    require_perm(request, READ)
    return _contact_get(contact_id)


@router.patch(
    "/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="Update a contact"
)
def contacts_patch(request: HttpRequest, contact_id: int, payload: ContactPatch):
    require_perm(request, WRITE, write=True)
    contact = _contact_get(contact_id)
    data = _contact_fields(payload.model_dump(exclude_unset=True), _AccountResolver())
    if "email" in data and not data["email"]:
        raise ApiError(422, "email cannot be empty", field="email")
    services.contact_update(contact=contact, **data)
    return _contact_get(contact.pk)


# --- activities --------------------------------------------------------------------------------


class ActivityOut(Schema):
    id: int
    contact_id: int | None
    account_id: int | None
    kind: str
    label: str
    occurred_at: datetime
    points: int
    source: str
    data: dict[str, Any]
    external_id: str | None
    created_at: datetime


class ActivityPage(ListPage):
    items: list[ActivityOut]


class ActivityIn(Schema):
    contact_id: int | None = Field(None, description="the contact's Ovation id")
    email: str | None = Field(None, description="or the contact's email (any case)")
    kind: str = Field(
        ...,
        max_length=50,
        pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$",
        description="e.g. note, event.attended, review.written",
    )
    occurred_at: datetime | None = Field(None, description="defaults to now")
    source: str = Field("api", max_length=50)
    data: dict[str, Any] = Field(default_factory=dict, description='e.g. {"summary": "..."}')
    external_id: str | None = Field(
        None, max_length=100, description="makes the call idempotent: a repeat returns the first"
    )


class ActivityQuery(Schema):
    kind: str = ""
    since: datetime | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


@router.post(
    "/activities",
    response={200: ActivityOut, 201: ActivityOut, **ERRORS},
    summary="Record an activity for a contact (200 when its external_id was already recorded)",
)
def activities_create(request: HttpRequest, payload: ActivityIn):
    require_perm(request, WRITE, write=True)
    if payload.contact_id is not None:
        contact = Contact.objects.select_related("account").filter(pk=payload.contact_id).first()
        if contact is None:
            raise ApiError(422, f"no contact with id {payload.contact_id}", field="contact_id")
    elif payload.email:
        contact = (
            Contact.objects.select_related("account")
            .filter(email__iexact=payload.email.strip())
            .first()
        )
        if contact is None:
            raise ApiError(422, f"no contact with email {payload.email}", field="email")
    else:
        raise ApiError(422, "give contact_id or email", field="contact_id")
    existed = bool(
        payload.external_id and Activity.objects.filter(external_id=payload.external_id).exists()
    )
    activity = activity_record(
        kind=payload.kind,
        contact=contact,
        occurred_at=payload.occurred_at,
        source=payload.source,
        data=payload.data,
        actor=request.user,
        external_id=payload.external_id,
    )
    return Status(200 if existed else 201, activity)


@router.get(
    "/contacts/{contact_id}/activities",
    response={200: ActivityPage, **ERRORS},
    summary="A contact's activities (oldest first; follow `next`)",
)
def contact_activities(request: HttpRequest, contact_id: int, filters: Query[ActivityQuery]):
    require_perm(request, READ)
    contact = _contact_get(contact_id)
    qs = contact.activities.all()
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    return paginate_cursor(request, qs, cursor=filters.cursor, limit=filters.limit)


# --- consents ----------------------------------------------------------------------------------


class ConsentOut(Schema):
    id: int
    purpose: str
    is_granted: bool
    source: str
    actor_email: str | None
    note: str
    recorded_at: datetime

    @staticmethod
    def resolve_actor_email(obj: Consent) -> str | None:
        return obj.actor.email if obj.actor_id else None


class ConsentsOut(Schema):
    current: list[ConsentOut] = Field(description="the latest decision per purpose")
    history: list[ConsentOut] = Field(description="every decision, newest first")


class ConsentIn(Schema):
    purpose: Purpose
    is_granted: bool
    note: str = Field("", max_length=500, description="how it was given, e.g. 'signed form'")


@router.get(
    "/contacts/{contact_id}/consents",
    response={200: ConsentsOut, **ERRORS},
    summary="A contact's consents: current state and history",
)
def consents_list(request: HttpRequest, contact_id: int):
    require_perm(request, READ)
    contact = _contact_get(contact_id)
    history = selectors.consent_history(contact=contact)
    current: dict[str, Consent] = {}
    for consent in history:
        current.setdefault(consent.purpose, consent)
    return {"current": list(current.values()), "history": history}


@router.post(
    "/contacts/{contact_id}/consents",
    response={201: ConsentOut, **ERRORS},
    summary="Record a consent decision (appended to the history)",
)
def consents_record(request: HttpRequest, contact_id: int, payload: ConsentIn):
    require_perm(request, WRITE, write=True)
    contact = _contact_get(contact_id)
    consent = services.consent_record(
        contact=contact,
        purpose=payload.purpose,
        is_granted=payload.is_granted,
        note=payload.note,
        source=Consent.Source.API,
        actor=request.user,
    )
    return Status(201, consent)
