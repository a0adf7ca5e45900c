"""Pulse API: NPS answers in, NPS and advocacy summaries out (paths fixed by INTERFACES.md)."""

from datetime import date, datetime

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.text import slugify
from ninja import Field, Query, Router, Schema

from ovation.core.api import ApiError, paginate_cursor, require_perm
from ovation.directory.models import Contact, Industry, Product, Region

from . import selectors, services
from .models import Response
from .segments import CUSTOMER_STATUSES, contact_q, customer_contacts
from .stats import ARR_BAND_LABELS, rate

router = Router(tags=["pulse"])
READ = "ovation.view_pulse"
WRITE = "ovation.manage_pulse"


class NpsResponseIn(Schema):
    external_id: str | None = Field(None, max_length=100, description="idempotency key")
    contact_id: int | None = None
    email: str | None = Field(None, description="the contact's email (when no contact_id)")
    score: int = Field(..., ge=0, le=10)
    reason: str = Field("", max_length=4000)
    improvement: str = Field(
        "", max_length=4000, description="what would make them recommend us / what stops them"
    )
    answered_at: datetime | None = None


class NpsResponseOut(Schema):
    id: int
    external_id: str | None
    contact_id: int
    account_id: int | None
    score: int
    category: str
    reason: str
    improvement: str
    answered_at: datetime
    source: str
    created: bool = False


class NpsSummaryOut(Schema):
    nps: float | None
    promoters: int
    passives: int
    detractors: int
    responses: int
    margin_of_error: float | None
    basis: str
    start: date | None
    end: date | None


class AdvocacySummaryOut(Schema):
    contacts: int
    promoters: int
    advocates: int
    champions: int
    advocacy_rate: float | None
    accounts: int
    advocate_accounts: int
    account_advocacy_rate: float | None


class SegmentFilters(Schema):
    industry: str | None = Field(None, description="industry id, slug or name")
    region: str | None = Field(None, description="region id, slug or name")
    product: str | None = Field(None, description="product id, slug or name")
    arr_band: str | None = Field(None, description=f"one of {', '.join(ARR_BAND_LABELS)}")
    employee_band: str | None = None
    csm: str | None = Field(None, description="CSM user id or email")
    stage: str | None = Field(None, description="customer, promoter, advocate or champion")


class SummaryFilters(SegmentFilters):
    start: date | None = None
    end: date | None = None
    basis: str = Field("response", description="response (every answer) or person (latest each)")


def _out(response: Response, created: bool) -> dict:
    return {
        "id": response.pk,
        "external_id": response.external_id,
        "contact_id": response.contact_id,
        "account_id": response.account_id,
        "score": response.score,
        "category": response.category,
        "reason": response.reason,
        "improvement": response.improvement,
        "answered_at": response.answered_at,
        "source": response.source,
        "created": created,
    }


@router.post(
    "/nps/responses",
    response={200: NpsResponseOut, 201: NpsResponseOut},
    summary="Record an NPS answer (idempotent by external_id)",
)
def nps_response_create(request: HttpRequest, payload: NpsResponseIn):
    require_perm(request, WRITE, write=True)
    if payload.contact_id is not None:
        contact = Contact.objects.filter(pk=payload.contact_id).first()
        if contact is None:
            raise ApiError(422, "no contact with this id", field="contact_id")
    elif payload.email:
        contact = Contact.objects.filter(email__iexact=payload.email.strip()).first()
        if contact is None:
            raise ApiError(422, "no contact with this email", field="email")
    else:
        raise ApiError(422, "give contact_id or email", field="email")
    response, created = services.response_record(
        contact=contact,
        score=payload.score,
        reason=payload.reason,
        improvement=payload.improvement,
        answered_at=payload.answered_at,
        source=Response.Source.API,
        external_id=payload.external_id,
    )
    return (201 if created else 200), _out(response, created)


class ResponseListFilters(Schema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)
    contact_id: int | None = None
    since: datetime | None = None


class NpsResponsePage(Schema):
    items: list[NpsResponseOut]
    next: str | None


@router.get("/nps/responses", response=NpsResponsePage, summary="NPS answers (cursor pages)")
def nps_response_list(request: HttpRequest, filters: Query[ResponseListFilters]):
    require_perm(request, READ)
    qs = Response.objects.all()
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.since:
        qs = qs.filter(answered_at__gte=filters.since)
    page = paginate_cursor(request, qs, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_out(r, False) for r in page["items"]], "next": page["next"]}


def _resolve(filters: SegmentFilters) -> dict[str, str]:
    """Turn names/slugs/emails into the ids the rollups are keyed by; unknown -> 422."""
    out: dict[str, str] = {}
    for dim, model in (("industry", Industry), ("region", Region), ("product", Product)):
        raw = getattr(filters, dim)
        if not raw:
            continue
        raw = raw.strip()
        found = (
            model.objects.filter(
                Q(pk=int(raw)) if raw.isdigit() else Q(slug=slugify(raw)) | Q(name__iexact=raw)
            )
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise ApiError(422, f"unknown {dim} {raw!r}", field=dim)
        out[dim] = str(found)
    if filters.arr_band:
        if filters.arr_band not in ARR_BAND_LABELS:
            raise ApiError(
                422, f"arr_band must be one of {', '.join(ARR_BAND_LABELS)}", field="arr_band"
            )
        out["arr_band"] = filters.arr_band
    if filters.employee_band:
        from ovation.directory.models import Account

        if filters.employee_band not in Account.EmployeeBand.values:
            raise ApiError(422, "unknown employee_band", field="employee_band")
        out["employee_band"] = filters.employee_band
    if filters.csm:
        from ovation.users.models import User

        raw = filters.csm.strip()
        q = Q(pk=int(raw)) if raw.isdigit() else Q(email__iexact=raw)
        found = User.objects.filter(q).values_list("pk", flat=True).first()
        if found is None:
            raise ApiError(422, f"unknown CSM {raw!r}", field="csm")
        out["csm"] = str(found)
    if filters.stage:
        if filters.stage not in Contact.Stage.values:
            raise ApiError(422, "unknown stage", field="stage")
        out["stage"] = filters.stage
    return out


@router.get("/nps/summary", response=NpsSummaryOut, summary="NPS with margin of error")
def nps_summary(request: HttpRequest, filters: Query[SummaryFilters]):
    require_perm(request, READ)
    if filters.start and filters.end and filters.start > filters.end:
        raise ApiError(422, "start must be on or before end", field="start")
    if filters.basis not in ("response", "person"):
        raise ApiError(422, "basis must be response or person", field="basis")
    result = selectors.nps_summary(
        start=filters.start, end=filters.end, filters=_resolve(filters), basis=filters.basis
    )
    return {
        **result.as_dict(),
        "basis": filters.basis,
        "start": filters.start,
        "end": filters.end,
    }


@router.get(
    "/advocacy/summary",
    response=AdvocacySummaryOut,
    summary="% of customer contacts and accounts that are advocates",
)
def advocacy_summary(request: HttpRequest, filters: Query[SegmentFilters]):
    require_perm(request, READ)
    resolved = _resolve(filters)
    resolved.pop("stage", None)
    if len(resolved) <= 1:
        dim, value = next(iter(resolved.items())) if resolved else ("all", "")
        return selectors.advocacy_summary(dimension=dim, value=value)
    # Several segments at once: counted live from the contacts' current stages.
    contacts = customer_contacts()
    for dim, value in resolved.items():
        contacts = contacts.filter(contact_q(dim, value))
    contacts = contacts.distinct()
    by_stage = dict(contacts.order_by().values_list("stage").annotate(n=Count("id", distinct=True)))
    definition = services.advocate_definition_current()
    adv_accounts = (
        contacts.filter(stage__in=["advocate", "champion"])
        .order_by()
        .values("account_id")
        .annotate(n=Count("id", distinct=True))
        .filter(n__gte=definition.account_min_advocates)
        .count()
    )
    accounts = (
        contacts.filter(account__status__in=CUSTOMER_STATUSES)
        .order_by()
        .values("account_id")
        .distinct()
        .count()
    )
    champions = by_stage.get("champion", 0)
    advocates = champions + by_stage.get("advocate", 0)
    total = sum(by_stage.values())
    return {
        "contacts": total,
        "promoters": advocates + by_stage.get("promoter", 0),
        "advocates": advocates,
        "champions": champions,
        "advocacy_rate": rate(advocates, total),
        "accounts": accounts,
        "advocate_accounts": adv_accounts,
        "account_advocacy_rate": rate(adv_accounts, accounts),
    }
