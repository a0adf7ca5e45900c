"""References API: reference requests with ranked matches, picks, outcomes, and the shared ask
budget (`POST /asks` logs an ask from any tool; `GET /asks/budget` says whether one may be made).
Endpoints call the same services as the staff pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from ovation.core.api import ApiError, Problem, paginate_cursor, require_perm
from ovation.directory.models import Contact, Industry, Product, Region

from . import selectors, services
from .budget import ask_budget_check, ask_record, why_not_suggested
from .models import Ask, Assignment, Opportunity
from .pool import match

router = Router(tags=["references"])
USE, MANAGE = "ovation.use_references", "ovation.manage_references"
ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}

RefActivity = Literal["call", "site_visit", "email", "rfp", "case_study", "video", "press"]
AnyActivity = Literal[
    "call", "site_visit", "email", "rfp", "case_study", "video", "press",
    "challenge", "program", "speaking", "review", "other",
]  # fmt: skip
Band = Literal["", "1-50", "51-200", "201-1000", "1001-5000", "5001+"]
Seniority = Literal["", "ic", "manager", "director", "vp", "c_level"]


class RequestIn(Schema):
    opportunity_name: str
    opportunity_crm_id: str = ""
    amount: Decimal = Decimal(0)
    opportunity_stage: str = ""
    close_date: date | None = None
    prospect_name: str = ""
    industry: str = ""
    region: str = ""
    country: str = ""
    employee_band: Band = ""
    products: list[str] = []
    competitor: str = ""
    use_case: str = ""
    seniority: Seniority = ""
    activity_type: RefActivity
    needed_by: date | None = None
    number_wanted: int = 1
    duration_minutes: int = 30
    notes: str = ""


class AssignmentOut(Schema):
    id: int
    contact_id: int
    contact_name: str
    status: str
    score: float
    explanation: str
    invited_at: datetime
    responded_at: datetime | None
    proposed_slots: list[str]
    scheduled_at: datetime | None
    completed_at: datetime | None
    held: bool | None
    rating: int | None
    feedback: str
    decline_reason: str


class OpportunityOut(Schema):
    id: int
    crm_id: str | None
    name: str
    amount: Decimal
    stage: str
    close_date: date | None
    outcome: str
    won_amount: Decimal | None


class RequestOut(Schema):
    id: int
    status: str
    activity_type: str
    opportunity: OpportunityOut
    prospect_name: str
    industry: str | None
    region: str | None
    country: str
    employee_band: str
    products: list[str]
    competitor: str
    use_case: str
    seniority: str
    needed_by: date | None
    number_wanted: int
    notes: str
    requester: str
    submitted_at: datetime
    review_due_at: datetime | None
    fulfilled_at: datetime | None
    assignments: list[AssignmentOut]


class RequestPage(Schema):
    items: list[RequestOut]
    next: str | None


class CandidateOut(Schema):
    contact_id: int
    name: str
    account: str
    title: str
    score: float
    explanation: str
    factors: dict[str, float]
    rule: str | None = None
    reason: str = ""


class MatchesOut(Schema):
    request_id: int
    pool_size: int
    eligible: int
    candidates: list[CandidateOut]
    near_misses: list[CandidateOut]
    excluded: dict[str, int]


class PickIn(Schema):
    contact_id: int


class CompleteIn(Schema):
    held: bool
    rating: int | None = None
    feedback: str = ""


class OutcomeIn(Schema):
    outcome: Literal["open", "won", "lost"]
    amount: Decimal | None = None
    closed_at: date | None = None


class AskIn(Schema):
    contact_id: int
    activity_type: AnyActivity
    channel: Literal["reference", "challenge", "program", "motivation", "manual"] = "manual"
    asked_at: datetime | None = None
    status: Literal["asked", "accepted", "declined", "completed", "ignored"] = "asked"
    logged_outside: bool = True
    source_type: str = ""
    source_id: str = ""
    note: str = ""


class AskOut(Schema):
    id: int
    contact_id: int
    account_id: int | None
    channel: str
    activity_type: str
    asked_at: datetime
    status: str
    logged_outside: bool
    source_type: str
    source_id: str
    note: str


class BudgetOut(Schema):
    contact_id: int
    activity_type: str
    allowed: bool
    rule: str | None
    reason: str


def _request_out(r) -> dict:
    o = r.opportunity
    return {
        "id": r.pk,
        "status": r.status,
        "activity_type": r.activity_type,
        "opportunity": {
            "id": o.pk,
            "crm_id": o.crm_id,
            "name": o.name,
            "amount": o.amount,
            "stage": o.stage,
            "close_date": o.close_date,
            "outcome": o.outcome,
            "won_amount": o.won_amount,
        },
        "prospect_name": r.prospect_name,
        "industry": r.industry.name if r.industry_id else None,
        "region": r.region.name if r.region_id else None,
        "country": r.country,
        "employee_band": r.employee_band,
        "products": [p.name for p in r.products.all()],
        "competitor": r.competitor,
        "use_case": r.use_case,
        "seniority": r.seniority,
        "needed_by": r.needed_by,
        "number_wanted": r.number_wanted,
        "notes": r.notes,
        "requester": r.requester.email,
        "submitted_at": r.submitted_at,
        "review_due_at": r.review_due_at,
        "fulfilled_at": r.fulfilled_at,
        "assignments": [_assignment_out(a) for a in r.assignments.all()],
    }


def _assignment_out(a: Assignment) -> dict:
    return {
        "id": a.pk,
        "contact_id": a.contact_id,
        "contact_name": str(a.contact),
        "status": a.status,
        "score": a.score,
        "explanation": a.explanation,
        "invited_at": a.invited_at,
        "responded_at": a.responded_at,
        "proposed_slots": list(a.proposed_slots or []),
        "scheduled_at": a.scheduled_at,
        "completed_at": a.completed_at,
        "held": a.held,
        "rating": a.rating,
        "feedback": a.feedback,
        "decline_reason": a.decline_reason,
    }


def _get_request(request_id: int):
    from .models import ReferenceRequest

    try:
        return selectors.request_get(request_id=request_id)
    except ReferenceRequest.DoesNotExist as exc:
        raise ApiError(404, f"no reference request {request_id}") from exc


def _taxonomy(model, value: str, field: str):
    if not value:
        return None
    obj = (
        model.objects.filter(slug=value.strip().lower()).first()
        or model.objects.filter(name__iexact=value.strip()).first()
    )
    if obj is None:
        raise ApiError(422, f"unknown {field} {value!r}", field=field)
    return obj


@router.post(
    "/reference-requests",
    response={201: RequestOut, **ERRORS},
    summary="File a reference request",
)
def request_create(request: HttpRequest, payload: RequestIn):
    require_perm(request, USE, write=True)
    data = payload.dict()
    data["industry"] = _taxonomy(Industry, data["industry"], "industry")
    data["region"] = _taxonomy(Region, data["region"], "region")
    products = []
    for i, name in enumerate(data.pop("products")):
        products.append(_taxonomy(Product, name, f"products.{i}"))
    req = services.request_create(requester=request.user, products=products, **data)
    return Status(201, _request_out(_get_request(req.pk)))


@router.get("/reference-requests", response={200: RequestPage, **ERRORS}, summary="List requests")
def request_list(
    request: HttpRequest,
    status: str = "",
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, USE)
    qs = selectors.request_list(status=status).prefetch_related(
        "products", "assignments", "assignments__contact"
    )
    page = paginate_cursor(request, qs, cursor=cursor, limit=limit)
    return {"items": [_request_out(r) for r in page["items"]], "next": page["next"]}


@router.get(
    "/reference-requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="A request"
)
def request_get(request: HttpRequest, request_id: int):
    require_perm(request, USE)
    return _request_out(_get_request(request_id))


@router.get(
    "/reference-requests/{request_id}/matches",
    response={200: MatchesOut, **ERRORS},
    summary="Ranked candidates with score and explanation, and fatigue near misses",
)
def request_matches(request: HttpRequest, request_id: int, limit: int = 20):
    # Like the request page: the advocacy manager picks, so only managers see the candidates;
    # reps see the request's status and who was invited.
    require_perm(request, MANAGE)
    req = _get_request(request_id)
    result = match(req, limit=max(1, min(limit, 100)), near_miss_limit=10)

    def out(c):
        return {
            "contact_id": c.contact_id,
            "name": str(c.contact) if c.contact else "",
            "account": c.contact.account.name if c.contact and c.contact.account else "",
            "title": c.contact.title if c.contact else "",
            "score": c.score,
            "explanation": c.explanation,
            "factors": c.factors,
            "rule": c.rule,
            "reason": c.reason,
        }

    return {
        "request_id": req.pk,
        "pool_size": result.pool_size,
        "eligible": result.eligible,
        "candidates": [out(c) for c in result.candidates],
        "near_misses": [out(c) for c in result.near_misses],
        "excluded": result.excluded,
    }


@router.post(
    "/reference-requests/{request_id}/picks",
    response={201: AssignmentOut, **ERRORS},
    summary="Invite a contact (draws from the ask budget; 409 names the rule when over it)",
)
def request_pick(request: HttpRequest, request_id: int, payload: PickIn):
    require_perm(request, MANAGE, write=True)
    req = _get_request(request_id)
    contact = Contact.objects.select_related("account").filter(pk=payload.contact_id).first()
    if contact is None:
        raise ApiError(422, f"no contact {payload.contact_id}", field="contact_id")
    a = services.request_pick(request=req, contact=contact, actor=request.user)
    return Status(201, _assignment_out(a))


@router.post(
    "/reference-assignments/{assignment_id}/outcome",
    response={200: AssignmentOut, **ERRORS},
    summary="Record whether the reference took place, its rating and feedback",
)
def assignment_complete(request: HttpRequest, assignment_id: int, payload: CompleteIn):
    require_perm(request, USE, write=True)
    a = Assignment.objects.select_related("request", "contact").filter(pk=assignment_id).first()
    if a is None:
        raise ApiError(404, f"no assignment {assignment_id}")
    if not (request.user.has_perm(MANAGE) or a.request.requester_id == request.user.pk):
        raise ApiError(403, "only the requester or a manager records the outcome")
    if payload.rating is not None and not 1 <= payload.rating <= 5:
        raise ApiError(422, "rating must be between 1 and 5", field="rating")
    a = services.assignment_complete(
        assignment=a,
        held=payload.held,
        rating=payload.rating,
        feedback=payload.feedback,
        actor=request.user,
    )
    return _assignment_out(a)


@router.patch(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, **ERRORS},
    summary="Record an opportunity's outcome (won/lost and amount)",
)
def opportunity_outcome(request: HttpRequest, opportunity_id: int, payload: OutcomeIn):
    require_perm(request, USE, write=True)
    opp = Opportunity.objects.filter(pk=opportunity_id).first()
    if opp is None:
        raise ApiError(404, f"no opportunity {opportunity_id}")
    return services.opportunity_outcome_record(
        opportunity=opp, outcome=payload.outcome, amount=payload.amount, closed_at=payload.closed_at
    )


@router.post(
    "/asks",
    response={201: AskOut, **ERRORS},
    summary="Log an ask (by default one made outside Ovation; it counts toward the budget)",
)
def ask_create(request: HttpRequest, payload: AskIn):
    require_perm(request, USE, write=True)
    contact = Contact.objects.select_related("account").filter(pk=payload.contact_id).first()
    if contact is None:
        raise ApiError(422, f"no contact {payload.contact_id}", field="contact_id")
    ask = ask_record(
        contact=contact,
        activity_type=payload.activity_type,
        channel=payload.channel,
        source_type=payload.source_type[:40],
        source_id=payload.source_id[:40],
        actor=request.user,
        logged_outside=payload.logged_outside,
        note=payload.note,
        at=payload.asked_at,
        status=payload.status,
    )
    return Status(201, ask)


@router.get(
    "/asks", response={200: dict[str, Any], **ERRORS}, summary="Asks of a contact (newest last)"
)
def ask_list(request: HttpRequest, contact_id: int, cursor: str | None = None, limit: int = 50):
    require_perm(request, USE)
    page = paginate_cursor(
        request, Ask.objects.filter(contact_id=contact_id), cursor=cursor, limit=limit
    )
    return {"items": [AskOut.from_orm(a).dict() for a in page["items"]], "next": page["next"]}


@router.get(
    "/asks/budget",
    response={200: BudgetOut, **ERRORS},
    summary="May this contact be asked now? Names the rule when not",
)
def ask_budget(
    request: HttpRequest,
    contact_id: int,
    activity_type: AnyActivity = "call",
    reference_request_id: int | None = None,
):
    require_perm(request, USE)
    contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise ApiError(404, f"no contact {contact_id}")
    if reference_request_id:
        ref_request = _get_request(reference_request_id)
        d = why_not_suggested(contact=contact, request=ref_request)
        activity_type = ref_request.activity_type
    else:
        d = ask_budget_check(contact=contact, activity_type=activity_type)
    return {
        "contact_id": contact.pk,
        "activity_type": activity_type,
        "allowed": d.allowed,
        "rule": d.rule,
        "reason": d.reason,
    }
