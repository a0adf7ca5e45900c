"""Rewards API: the catalogue, redemption on a contact's behalf, fulfilment status changes.

`POST /rewards/{id}/redemptions` answers 409 when the balance is short or the reward is out
of stock, and 422 naming the field for rule violations (gift policy, per-person limit,
missing size). An optional `Idempotency-Key` header makes a retried request redeem once."""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Header, Router, Schema, Status

from ovation.core.api import ApiError, paginate_cursor, require_perm
from ovation.directory.models import Contact

from .models import Redemption, Reward
from .selectors import redemption_get, redemption_list, reward_list
from .services import redemption_create, redemption_transition, reward_create, reward_update

router = Router(tags=["rewards"])

RewardKind = Literal["gift_card", "swag", "donation", "experience", "custom"]
RedemptionStatus = Literal["requested", "approved", "fulfilled", "cancelled"]


class RewardIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    kind: RewardKind
    cost: int = Field(..., ge=1, le=10_000_000, description="points")
    description: str = ""
    fulfilment_info: str = Field("", max_length=300)
    stock: int | None = Field(None, ge=0, description="null = unlimited")
    per_person_limit: int | None = Field(None, ge=1, description="null = no limit")
    variants: list[str] = Field(default_factory=list, description="sizes/options (swag)")
    needs_shipping: bool = False
    requires_approval: bool = False
    is_active: bool = True
    available_from: datetime | None = None
    available_until: datetime | None = None


class RewardPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: RewardKind | None = None
    cost: int | None = Field(None, ge=1, le=10_000_000)
    description: str | None = None
    fulfilment_info: str | None = Field(None, max_length=300)
    stock: int | None = Field(None, ge=0)
    per_person_limit: int | None = Field(None, ge=1)
    variants: list[str] | None = None
    needs_shipping: bool | None = None
    requires_approval: bool | None = None
    is_active: bool | None = None
    available_from: datetime | None = None
    available_until: datetime | None = None


class RewardOut(Schema):
    id: int
    name: str
    kind: str
    cost: int
    description: str
    fulfilment_info: str
    stock: int | None
    per_person_limit: int | None
    variants: list[str]
    needs_shipping: bool
    requires_approval: bool
    is_active: bool
    available_from: datetime | None
    available_until: datetime | None
    image_url: str | None
    created_at: datetime

    @staticmethod
    def resolve_image_url(obj):
        return reverse("rewards:image", args=[obj.pk]) if obj.image_type else None


class RewardPage(Schema):
    items: list[RewardOut]
    next: str | None


class RedemptionIn(Schema):
    contact_id: int
    variant: str = Field("", max_length=60, description="required when the reward has options")
    shipping_address: str = Field("", max_length=1000)


class RedemptionEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    is_internal: bool
    actor_id: int | None
    created_at: datetime


class RedemptionOut(Schema):
    id: int
    reward_id: int
    reward_name: str
    contact_id: int
    points: int
    variant: str
    shipping_address: str
    status: str
    debit_entry_id: int | None
    refund_entry_id: int | None
    created_at: datetime
    approved_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    events: list[RedemptionEventOut]

    @staticmethod
    def resolve_reward_name(obj):
        return obj.reward.name

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.all())


class RedemptionPage(Schema):
    items: list[RedemptionOut]
    next: str | None


class RedemptionPatch(Schema):
    status: RedemptionStatus | None = None
    note: str = Field("", max_length=2000)
    is_internal: bool = Field(False, description="a staff-only note (not shown to the advocate)")


@router.get("/rewards", response=RewardPage, summary="The rewards catalogue")
def rewards_list(
    request,
    kind: RewardKind | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, "ovation.view_directory")
    state = "" if active is None else ("active" if active else "inactive")
    return paginate_cursor(
        request, reward_list(kind=kind or "", state=state), cursor=cursor, limit=limit
    )


@router.post("/rewards", response={201: RewardOut}, summary="Add a reward to the catalogue")
def rewards_create(request, payload: RewardIn):
    require_perm(request, "ovation.manage_programs", write=True)
    return Status(201, reward_create(actor=request.user, **payload.dict()))


@router.get("/rewards/{reward_id}", response=RewardOut, summary="One reward")
def rewards_read(request, reward_id: int):
    require_perm(request, "ovation.view_directory")
    return get_object_or_404(Reward.objects.defer("image_data"), pk=reward_id)


@router.patch("/rewards/{reward_id}", response=RewardOut, summary="Change a reward")
def rewards_update(request, reward_id: int, payload: RewardPatch):
    require_perm(request, "ovation.manage_programs", write=True)
    reward = get_object_or_404(Reward.objects.defer("image_data"), pk=reward_id)
    return reward_update(reward=reward, actor=request.user, **payload.dict(exclude_unset=True))


@router.post(
    "/rewards/{reward_id}/redemptions",
    response={201: RedemptionOut},
    summary="Redeem a reward on a contact's behalf (409: balance short or out of stock)",
)
def redemptions_create(
    request,
    response: HttpResponse,
    reward_id: int,
    payload: RedemptionIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description="optional; a retry with it redeems once"
    ),
):
    require_perm(request, "ovation.manage_programs", write=True)
    reward = get_object_or_404(Reward.objects.defer("image_data"), pk=reward_id)
    contact = Contact.objects.select_related("account").filter(pk=payload.contact_id).first()
    if contact is None:
        raise ApiError(422, f"contact {payload.contact_id} does not exist", field="contact_id")
    key = (idempotency_key or "").strip()
    if len(key) > 120:
        raise ApiError(
            400, "the Idempotency-Key must be at most 120 characters", field="Idempotency-Key"
        )
    redemption, created = redemption_create(
        reward=reward,
        contact=contact,
        actor=request.user,
        variant=payload.variant,
        shipping_address=payload.shipping_address,
        request_key=f"api:{request.user.pk}:{key}" if key else None,
    )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201, redemption_get(redemption_id=redemption.pk))


@router.get("/redemptions", response=RedemptionPage, summary="Redemptions (fulfilment queue)")
def redemptions_list(
    request,
    status: RedemptionStatus | Literal["open"] | None = None,
    contact_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, "ovation.manage_programs")
    qs = redemption_list(status=status or "", contact_id=contact_id).prefetch_related("events")
    return paginate_cursor(request, qs, cursor=cursor, limit=limit)


@router.get("/redemptions/{redemption_id}", response=RedemptionOut, summary="One redemption")
def redemptions_read(request, redemption_id: int):
    require_perm(request, "ovation.manage_programs")
    return redemption_get(redemption_id=redemption_id)


@router.patch(
    "/redemptions/{redemption_id}",
    response=RedemptionOut,
    summary="Change a redemption's status (approve, fulfil, cancel with refund) or add a note",
)
def redemptions_update(request, redemption_id: int, payload: RedemptionPatch):
    require_perm(request, "ovation.manage_programs", write=True)
    redemption = get_object_or_404(Redemption, pk=redemption_id)
    if payload.status is None:
        if not payload.note.strip():
            raise ApiError(422, "send a status, a note, or both", field="status")
        from .services import redemption_note_add

        redemption_note_add(
            redemption=redemption,
            note=payload.note,
            actor=request.user,
            is_internal=payload.is_internal,
        )
    else:
        redemption_transition(
            redemption=redemption,
            status=payload.status,
            actor=request.user,
            note=payload.note,
            is_internal=payload.is_internal,
        )
    return redemption_get(redemption_id=redemption.pk)
