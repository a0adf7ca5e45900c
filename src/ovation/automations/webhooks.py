"""Outgoing webhooks: endpoints (SSRF-checked, `whsec_` secrets with rotation overlap) and
deliveries (at least once, exponential backoff with jitter, the same `webhook-id` on every
attempt, auto-disable after sustained failure with an email to admins)."""

from __future__ import annotations

import json
import random
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ovation.activity.models import DomainEvent
from ovation.core.errors import Conflict, ServiceError

from . import transport
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Seconds to wait after failed attempt n (1-based): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h;
# eight attempts over about 27 hours, as the Standard Webhooks guidance suggests.
RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
JITTER = 0.2
LEASE_SECONDS = 60
EVENT_TYPE_MAX = 80


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_seconds() -> int:
    return int(_setting("OVATION_WEBHOOK_LEASE_SECONDS", LEASE_SECONDS))


def backoff_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta | None:
    """Delay before the next attempt after `attempts` failures, or None when we give up."""
    if attempts < 1 or attempts > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempts - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=base * factor)


def _event_types_clean(event_types) -> list[str]:
    if isinstance(event_types, str):
        event_types = [t for t in event_types.replace(",", " ").split() if t]
    clean = []
    for t in event_types or []:
        t = str(t).strip()
        if not t:
            continue
        if len(t) > EVENT_TYPE_MAX or " " in t:
            raise ServiceError(f"{t!r} is not an event type", field="event_types")
        if t not in clean:
            clean.append(t)
    if not clean:
        raise ServiceError(
            'choose at least one event type (or "*" for every event)', field="event_types"
        )
    return clean


def url_validate(url: str, *, field: str = "url") -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise ServiceError("the URL is longer than 500 characters", field=field)
    try:
        transport.url_check(url)
    except transport.UnsafeURL as exc:
        raise ServiceError(f"this URL is not allowed: {exc}", field=field) from exc
    return url


@transaction.atomic
def endpoint_create(
    *, url: str, event_types, description: str = "", actor=None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns (endpoint, secret). The secret is shown to the caller once."""
    url = url_validate(url)
    types = _event_types_clean(event_types)
    secret = transport.secret_generate()
    endpoint = WebhookEndpoint.objects.create(
        url=url,
        event_types=types,
        description=(description or "")[:200],
        secret=secret,
        created_by=actor,
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, event_types, description: str = ""
) -> WebhookEndpoint:
    endpoint.url = url_validate(url)
    endpoint.event_types = _event_types_clean(event_types)
    endpoint.description = (description or "")[:200]
    endpoint.save(update_fields=["url", "event_types", "description"])
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, overlap_hours: int = 24, now: datetime | None = None
) -> str:
    """New secret; the old one keeps signing (both signatures sent) for `overlap_hours`."""
    if overlap_hours < 0 or overlap_hours > 24 * 7:
        raise ServiceError("the overlap must be between 0 and 168 hours", field="overlap_hours")
    now = now or timezone.now()
    new = transport.secret_generate()
    endpoint.previous_secret = endpoint.secret if overlap_hours else ""
    endpoint.previous_secret_expires_at = (
        now + timedelta(hours=overlap_hours) if overlap_hours else None
    )
    endpoint.secret = new
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return new


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    active = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > now
    ):
        active.append(endpoint.previous_secret)
    return active


@transaction.atomic
def endpoint_set_enabled(*, endpoint: WebhookEndpoint, is_enabled: bool) -> WebhookEndpoint:
    if is_enabled:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_enabled=True,
            disabled_reason="",
            disabled_at=None,
            consecutive_failures=0,
            failing_since=None,
        )
        # Deliveries kept while disabled go out again now.
        now = timezone.now()
        WebhookDelivery.objects.filter(
            endpoint=endpoint, status=WebhookDelivery.Status.PENDING
        ).update(next_attempt_at=now)
        transaction.on_commit(lambda: deliveries_run_due())
    else:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_enabled=False, disabled_reason="disabled by staff", disabled_at=timezone.now()
        )
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def _body(*, event_type: str, timestamp: datetime, data: dict) -> str:
    return json.dumps(
        {"type": event_type, "timestamp": timestamp.isoformat(), "data": data},
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def event_payload_data(event: DomainEvent) -> dict:
    data = dict(event.data or {})
    data.setdefault("contact_id", event.contact_id)
    data.setdefault("event_id", event.pk)
    return data


def _message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _delivery_create(**fields) -> tuple[WebhookDelivery, bool]:
    existing = WebhookDelivery.objects.filter(dedupe_key=fields["dedupe_key"]).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                message_id=_message_id(), next_attempt_at=timezone.now(), **fields
            )
    except IntegrityError:
        return WebhookDelivery.objects.get(dedupe_key=fields["dedupe_key"]), False
    transaction.on_commit(lambda: _enqueue_attempt(delivery.pk))
    return delivery, True


def delivery_create_for_event(
    *, endpoint: WebhookEndpoint, event: DomainEvent
) -> tuple[WebhookDelivery, bool]:
    """The endpoint's one delivery of this event (unique per endpoint and event)."""
    return _delivery_create(
        endpoint=endpoint,
        kind=WebhookDelivery.Kind.SUBSCRIPTION,
        dedupe_key=f"ep:{endpoint.pk}:event:{event.pk}",
        event=event,
        event_type=event.type,
        body=_body(
            event_type=event.type, timestamp=event.occurred_at, data=event_payload_data(event)
        ),
    )


def delivery_create_for_rule(
    *, endpoint: WebhookEndpoint, dedupe_key: str, event_type: str, data: dict, event=None
) -> WebhookDelivery:
    delivery, _ = _delivery_create(
        endpoint=endpoint,
        kind=WebhookDelivery.Kind.RULE,
        dedupe_key=dedupe_key,
        event=event,
        event_type=event_type,
        body=_body(event_type=event_type, timestamp=timezone.now(), data=data),
    )
    return delivery


def delivery_create_slack(*, url: str, text: str, dedupe_key: str, event=None) -> WebhookDelivery:
    """A Slack incoming-webhook post ({"text": ...}), retried like any delivery."""
    delivery, _ = _delivery_create(
        endpoint=None,
        url=url,
        kind=WebhookDelivery.Kind.SLACK,
        dedupe_key=dedupe_key,
        event=event,
        event_type="slack.message",
        body=json.dumps({"text": text}),
    )
    return delivery


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    key = f"ep:{endpoint.pk}:test:{secrets.token_hex(6)}"
    delivery, _ = _delivery_create(
        endpoint=endpoint,
        kind=WebhookDelivery.Kind.TEST,
        dedupe_key=key,
        event_type="webhook.test",
        body=_body(
            event_type="webhook.test",
            timestamp=timezone.now(),
            data={"message": "A test event from Ovation"},
        ),
    )
    return delivery


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again now (same webhook-id and body), whatever its state; the log keeps history."""
    if delivery.endpoint_id and not delivery.endpoint.is_enabled:
        raise Conflict("the endpoint is disabled; enable it first", field="endpoint")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), locked_until=None
    )
    transaction.on_commit(lambda: _enqueue_attempt(delivery.pk))
    delivery.refresh_from_db()
    return delivery


def _enqueue_attempt(delivery_id: int, run_after: datetime | None = None) -> None:
    from django_tasks import task_backends

    from .tasks import webhook_deliver_task

    task = webhook_deliver_task
    if run_after is not None:
        if not task_backends["default"].supports_defer:
            return  # the periodic `run-due` sweep picks it up
        task = task.using(run_after=run_after)
    task.enqueue(delivery_id=delivery_id)


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Make one attempt if the delivery is due and not leased by another worker."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=lease_seconds())
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .filter(Q(endpoint__isnull=True) | Q(endpoint__is_enabled=True))
        .update(locked_until=lease)
    )
    if not claimed:
        return "not due"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    headers: dict[str, str] = {}
    timestamp = int(timezone.now().timestamp())  # wall clock: receivers check it
    if delivery.kind != WebhookDelivery.Kind.SLACK and endpoint is not None:
        headers = {
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": transport.signature_header(
                secrets_=endpoint_secrets(endpoint, now=timezone.now()),
                message_id=delivery.message_id,
                timestamp=timestamp,
                body=delivery.body,
            ),
        }
    result = transport.post(delivery.target_url, body=delivery.body, headers=headers)
    return delivery_record_result(delivery=delivery, result=result, now=now)


@transaction.atomic
def delivery_record_result(
    *, delivery: WebhookDelivery, result: transport.PostResult, now: datetime
) -> str:
    number = delivery.attempts + 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        attempted_at=now,
        status_code=result.status_code,
        error=result.error,
        response_excerpt=result.excerpt,
        duration_ms=result.duration_ms,
    )
    endpoint_rows = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if result.ok:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED,
            attempts=number,
            delivered_at=now,
            last_status_code=result.status_code,
            last_error="",
            locked_until=None,
            next_attempt_at=None,
        )
        endpoint_rows.update(consecutive_failures=0, failing_since=None, last_success_at=now)
        return "delivered"
    delay = backoff_delay(number)
    gave_up = delay is None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if gave_up else WebhookDelivery.Status.PENDING,
        attempts=number,
        last_status_code=result.status_code,
        last_error=result.error or f"HTTP {result.status_code}",
        locked_until=None,
        next_attempt_at=None if gave_up else now + delay,
    )
    if delivery.endpoint_id:
        endpoint_rows.update(consecutive_failures=F("consecutive_failures") + 1)
        endpoint_rows.filter(failing_since__isnull=True).update(failing_since=now)
        _endpoint_maybe_disable(endpoint_id=delivery.endpoint_id, now=now)
    if not gave_up:
        transaction.on_commit(lambda: _enqueue_attempt(delivery.pk, run_after=now + delay))
    return "gave up" if gave_up else "will retry"


def _endpoint_maybe_disable(*, endpoint_id: int, now: datetime) -> None:
    """Disable after sustained failure: failing for OVATION_WEBHOOK_DISABLE_AFTER_HOURS
    (default 72) with at least OVATION_WEBHOOK_DISABLE_MIN_FAILURES (default 5) in a row."""
    hours = _setting("OVATION_WEBHOOK_DISABLE_AFTER_HOURS", 72)
    min_failures = _setting("OVATION_WEBHOOK_DISABLE_MIN_FAILURES", 5)
    reason_rows = WebhookEndpoint.objects.filter(
        pk=endpoint_id,
        is_enabled=True,
        consecutive_failures__gte=min_failures,
        failing_since__lte=now - timedelta(hours=hours),
    )
    endpoint = reason_rows.first()
    if endpoint is None:
        return
    reason = f"failing for {hours} hours or more ({endpoint.consecutive_failures} failed attempts in a row)"
    disabled = reason_rows.update(is_enabled=False, disabled_reason=reason[:300], disabled_at=now)
    if disabled:
        _notify_admins(endpoint=endpoint, reason=reason)


def _notify_admins(*, endpoint: WebhookEndpoint, reason: str) -> None:
    from django.contrib.auth import get_user_model

    from .email import email_send

    User = get_user_model()
    admins = User.objects.filter(role="admin", is_active=True).values_list("email", flat=True)
    for email in admins:
        email_send(
            to=email,
            template="webhook_disabled",
            context={
                "url": endpoint.url,
                "reason": reason,
                "endpoint_path": reverse("automations:endpoint-detail", args=[endpoint.pk]),
            },
            event_type="webhook.disabled",
            dedupe_key=f"webhook-disabled:{endpoint.pk}:{int(timezone.now().timestamp())}:{email}"[
                :160
            ],
        )


def deliveries_run_due(
    *, now: datetime | None = None, limit: int = 500, inline: bool = False
) -> int:
    """Enqueue an attempt for every due delivery (the sweep behind retries and crash
    recovery: a worker killed mid-attempt leaves a lease that expires)."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .filter(Q(endpoint__isnull=True) | Q(endpoint__is_enabled=True))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    from .tasks import webhook_deliver_task

    for delivery_id in ids:
        if inline:
            delivery_attempt(delivery_id=delivery_id, now=now)
        else:
            webhook_deliver_task.enqueue(delivery_id=delivery_id)
    return len(ids)
