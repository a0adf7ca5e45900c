"""Ledger API: staff credit, debit and adjust points with an `Idempotency-Key`; balances and
entries per contact.

Idempotency: the key a client sends is stored (namespaced per API user as
`api:<user id>:<key>`) on the ledger entry it created, together with a fingerprint of the
request body. Ledger entries are never deleted, so keys are kept forever (well beyond the 24
hours clients may rely on). A replay with the same body returns the first result, with the
same status code and body (and the header `Idempotent-Replayed: true`); the same key with a
different body is refused with 422. A request that failed (e.g. 409, balance too low) wrote
nothing, so retrying it with the same key is evaluated afresh."""

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Header, Router, Schema, Status

from ovation.core.api import ApiError, paginate_cursor, require_perm
from ovation.directory.models import Contact

from .models import LedgerEntry
from .selectors import ledger_entry_list
from .services import MAX_POINTS, balance_get, ledger_adjust, ledger_post, request_fingerprint

router = Router(tags=["ledger"])


class LedgerEntryIn(Schema):
    contact_id: int
    amount: int = Field(
        ...,
        description="points; positive for credit and debit, signed (not zero) for adjust",
        ge=-MAX_POINTS,
        le=MAX_POINTS,
    )
    kind: Literal["credit", "debit", "adjust"] = Field(
        ...,
        description="credit: earned points (count toward levels); debit: spend points "
        "(never overdraws: 409); adjust: a signed manual correction, `reason` required",
    )
    reason: str = Field("", max_length=500)


class LedgerEntryOut(Schema):
    id: int
    contact_id: int
    amount: int
    lifetime_delta: int
    kind: str
    reason: str
    source_type: str
    source_id: str
    actor_id: int | None
    created_at: datetime


class BalanceOut(Schema):
    contact_id: int
    spendable: int
    lifetime: int


class LedgerPage(Schema):
    items: list[LedgerEntryOut]
    next: str | None


_KINDS = {
    "credit": LedgerEntry.Kind.EARN,
    "debit": LedgerEntry.Kind.REDEEM,
}


@router.post(
    "/ledger/entries",
    response={201: LedgerEntryOut},
    summary="Credit, debit or adjust a contact's points (idempotent)",
)
def entry_create(
    request,
    response: HttpResponse,
    payload: LedgerEntryIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="required; a unique string per intended movement (e.g. a UUID)",
    ),
):
    require_perm(request, "ovation.adjust_points", write=True)
    key = (idempotency_key or "").strip()
    if not key:
        raise ApiError(400, "the Idempotency-Key header is required", field="Idempotency-Key")
    if len(key) > 120:
        raise ApiError(
            400, "the Idempotency-Key must be at most 120 characters", field="Idempotency-Key"
        )
    contact = get_object_or_404(Contact, pk=payload.contact_id)
    body = payload.dict()
    fingerprint = request_fingerprint(body)
    scoped_key = f"api:{request.user.pk}:{key}"
    if payload.kind == "adjust":
        entry, created = ledger_adjust(
            contact=contact,
            amount=payload.amount,
            reason=payload.reason,
            actor=request.user,
            idempotency_key=scoped_key,
            fingerprint=fingerprint,
        )
    else:
        if payload.amount <= 0:
            raise ApiError(422, f"amount must be positive for a {payload.kind}", field="amount")
        amount = payload.amount if payload.kind == "credit" else -payload.amount
        entry, created = ledger_post(
            contact=contact,
            amount=amount,
            kind=_KINDS[payload.kind],
            idempotency_key=scoped_key,
            source_type="api",
            reason=payload.reason,
            actor=request.user,
            fingerprint=fingerprint,
        )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201, entry)


@router.get("/contacts/{contact_id}/balance", response=BalanceOut, summary="A contact's points")
def balance_read(request, contact_id: int):
    require_perm(request, "ovation.view_directory")
    contact = get_object_or_404(Contact, pk=contact_id)
    balance = balance_get(contact=contact)
    return {"contact_id": contact.pk, "spendable": balance.spendable, "lifetime": balance.lifetime}


@router.get(
    "/contacts/{contact_id}/ledger",
    response=LedgerPage,
    summary="A contact's ledger entries (oldest first, cursor paginated)",
)
def ledger_read(request, contact_id: int, cursor: str | None = None, limit: int = 50):
    require_perm(request, "ovation.view_directory")
    contact = get_object_or_404(Contact, pk=contact_id)
    return paginate_cursor(request, ledger_entry_list(contact=contact), cursor=cursor, limit=limit)
