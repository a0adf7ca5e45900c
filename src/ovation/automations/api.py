"""Webhooks API: subscribe endpoints (the secret is returned once), list, rotate, delete,
their deliveries and replay; and the inbound CRM webhook (signed, no token)."""

from datetime import datetime

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from ovation.core.api import ApiError, paginate_cursor, require_perm

from . import inbound, webhooks
from .models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])
PERM = "ovation.manage_programs"


class EndpointIn(Schema):
    url: str = Field(..., description="https URL that receives POSTs")
    event_types: list[str] = Field(..., description='event types, or ["*"] for every event')
    description: str = ""


class EndpointOut(Schema):
    id: int
    url: str
    event_types: list[str]
    description: str
    is_enabled: bool
    disabled_reason: str
    consecutive_failures: int
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(..., description="whsec_… signing secret; shown only once")


class EndpointPage(Schema):
    items: list[EndpointOut]
    next: str | None


class RotateIn(Schema):
    overlap_hours: int = Field(24, description="hours the old secret keeps signing too")


class RotateOut(Schema):
    secret: str
    previous_secret_expires_at: datetime | None


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    kind: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next: str | None


class InboundOut(Schema):
    status: str
    event_id: str
    result: str


@router.post("/webhooks/endpoints", response={201: EndpointCreatedOut})
def endpoint_create(request: HttpRequest, payload: EndpointIn):
    require_perm(request, PERM, write=True)
    endpoint, secret = webhooks.endpoint_create(
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        actor=request.user,
    )
    return 201, {**EndpointOut.from_orm(endpoint).dict(), "secret": secret}


@router.get("/webhooks/endpoints", response=EndpointPage)
def endpoint_list(request: HttpRequest, cursor: str | None = None, limit: int = 50):
    require_perm(request, PERM)
    return paginate_cursor(request, WebhookEndpoint.objects.all(), cursor=cursor, limit=limit)


@router.get("/webhooks/endpoints/{endpoint_id}", response=EndpointOut)
def endpoint_get(request: HttpRequest, endpoint_id: int):
    require_perm(request, PERM)
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id)


@router.delete("/webhooks/endpoints/{endpoint_id}", response={204: None})
def endpoint_delete(request: HttpRequest, endpoint_id: int):
    require_perm(request, PERM, write=True)
    webhooks.endpoint_delete(endpoint=get_object_or_404(WebhookEndpoint, pk=endpoint_id))
    return 204, None


@router.post("/webhooks/endpoints/{endpoint_id}/rotate", response=RotateOut)
def endpoint_rotate(request: HttpRequest, endpoint_id: int, payload: RotateIn):
    require_perm(request, PERM, write=True)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    secret = webhooks.endpoint_rotate_secret(endpoint=endpoint, overlap_hours=payload.overlap_hours)
    return {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@router.get("/webhooks/endpoints/{endpoint_id}/deliveries", response=DeliveryPage)
def endpoint_deliveries(
    request: HttpRequest,
    endpoint_id: int,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require_perm(request, PERM)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    if status and status not in WebhookDelivery.Status.values:
        raise ApiError(
            400, f"status must be one of {', '.join(WebhookDelivery.Status.values)}", field="status"
        )
    qs = WebhookDelivery.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    return paginate_cursor(request, qs, cursor=cursor, limit=limit)


@router.post("/webhooks/deliveries/{delivery_id}/replay", response=DeliveryOut)
def delivery_replay(request: HttpRequest, delivery_id: int):
    require_perm(request, PERM, write=True)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=delivery_id)
    return webhooks.delivery_replay(delivery=delivery)


@router.post(
    "/webhooks/inbound/crm",
    auth=None,
    response={200: InboundOut},
    summary="Inbound CRM webhook (Standard Webhooks signature with OVATION_CRM_WEBHOOK_SECRET)",
)
def inbound_crm(request: HttpRequest):
    return crm_response(request)


def crm_response(request: HttpRequest) -> JsonResponse:
    """Shared by the API route and the plain /hooks/crm/ view."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    message, created = inbound.inbound_crm_receive(headers=headers, body=request.body)
    return JsonResponse(
        {
            "status": "processed" if created else "duplicate",
            "event_id": message.event_id,
            "result": message.result,
        }
    )
