"""Referral API: links per contact, referred leads and their stage changes (the CRM's way in,
besides the signed webhook and CSV). Same services as the staff UI."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from ovation.core.api import ApiError, paginate_cursor, require_perm
from ovation.directory.models import Contact

from . import selectors, services
from .models import Referral, ReferralEvent, ReferralProgram

router = Router(tags=["referrals"])
PERM = "ovation.manage_programs"
StatusLiteral = Literal["lead", "qualified", "opportunity", "won", "lost", "disqualified"]


class LinkOut(Schema):
    id: int
    code: str
    url: str
    program_id: int
    program: str
    contact_id: int
    is_active: bool
    created_at: datetime


class LinkPage(Schema):
    items: list[LinkOut]


class LinkIn(Schema):
    contact_id: int
    program_id: int


class FlagOut(Schema):
    rule: str
    severity: str
    reason: str


class ReferralOut(Schema):
    id: int
    program_id: int
    referrer_contact_id: int
    link_code: str | None
    first_name: str
    last_name: str
    email: str
    company: str
    status: str
    review: str
    counts: bool
    fraud_flags: list[FlagOut]
    channel: str
    deal_amount: Decimal | None
    crm_id: str | None
    referee_contact_id: int | None
    referee_account_id: int | None
    created_at: datetime
    status_changed_at: datetime | None
    won_at: datetime | None
    referrer_reason: str


class ReferralPage(Schema):
    items: list[ReferralOut]
    next: str | None


class ReferralPatch(Schema):
    status: StatusLiteral | None = None
    amount: Decimal | None = Field(None, ge=0, lt=Decimal("1e12"))
    reason: str = Field("", max_length=300)
    crm_id: str | None = Field(None, max_length=64)


class ReferralFilters(Schema):
    program_id: int | None = None
    status: StatusLiteral | None = None
    review: Literal["clear", "flagged", "approved", "rejected", "blocked"] | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


def _link_out(link) -> dict:
    return {
        "id": link.pk,
        "code": link.code,
        "url": settings.OVATION_BASE_URL + reverse("referrals:click", kwargs={"code": link.code}),
        "program_id": link.program_id,
        "program": link.program.slug,
        "contact_id": link.contact_id,
        "is_active": link.is_active,
        "created_at": link.created_at,
    }


def _referral_out(r: Referral) -> dict:
    return {
        "id": r.pk,
        "program_id": r.program_id,
        "referrer_contact_id": r.referrer_id,
        "link_code": r.link.code if r.link_id else None,
        "first_name": r.first_name,
        "last_name": r.last_name,
        "email": r.email,
        "company": r.company,
        "status": r.status,
        "review": r.review,
        "counts": r.counts,
        "fraud_flags": [
            {"rule": f["rule"], "severity": f["severity"], "reason": f["reason"]}
            for f in r.fraud_flags or []
        ],
        "channel": r.channel,
        "deal_amount": r.deal_amount,
        "crm_id": r.crm_id,
        "referee_contact_id": r.referee_contact_id,
        "referee_account_id": r.referee_account_id,
        "created_at": r.created_at,
        "status_changed_at": r.status_changed_at,
        "won_at": r.won_at,
        "referrer_reason": selectors.referral_reason_for_referrer(r),
    }


@router.get("/referral-links", response=LinkPage, summary="A contact's referral links")
def referral_links(request, contact_id: int = Query(..., description="directory contact id")):
    require_perm(request, PERM)
    return {"items": [_link_out(link) for link in selectors.link_list(contact_id=contact_id)]}


@router.post("/referral-links", response={201: LinkOut}, summary="Create (or get) a link")
def referral_link_create(request, payload: LinkIn):
    require_perm(request, PERM, write=True)
    contact = Contact.objects.filter(pk=payload.contact_id, is_active=True).first()
    if contact is None:
        raise ApiError(422, "no active contact with this id", field="contact_id")
    program = ReferralProgram.objects.filter(pk=payload.program_id).first()
    if program is None:
        raise ApiError(422, "no program with this id", field="program_id")
    link = services.link_get_or_create(program=program, contact=contact)
    return 201, _link_out(link)


@router.get("/referrals", response=ReferralPage, summary="Referred leads")
def referral_list(request, filters: Query[ReferralFilters]):
    require_perm(request, PERM)
    qs = selectors.referral_list(
        program_id=filters.program_id, status=filters.status, review=filters.review
    ).select_related("link")
    page = paginate_cursor(request, qs, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_referral_out(r) for r in page["items"]], "next": page["next"]}


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="One referred lead")
def referral_detail(request, referral_id: int):
    require_perm(request, PERM)
    referral = selectors.referral_get(referral_id=referral_id)
    if referral is None:
        raise ApiError(404, "no such referral")
    return _referral_out(referral)


@router.patch("/referrals/{referral_id}", response=ReferralOut, summary="Change a stage")
def referral_patch(request, referral_id: int, payload: ReferralPatch):
    """Move the referral (lead -> qualified -> opportunity -> won / lost, or disqualified),
    set the deal amount or CRM id. Rewards for each stage are paid once; disqualifying or
    moving won -> lost claws them back."""
    require_perm(request, PERM, write=True)
    referral = get_object_or_404(Referral, pk=referral_id)
    services.referral_transition(
        referral_id=referral.pk,
        to_status=payload.status or referral.status,
        amount=payload.amount,
        reason=payload.reason,
        crm_id=payload.crm_id,
        actor=request.user,
        source=ReferralEvent.Source.API,
    )
    return _referral_out(selectors.referral_get(referral_id=referral.pk))
