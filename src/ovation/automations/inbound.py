"""Inbound webhooks from the CRM: verified (HMAC, Standard Webhooks headers, 5-minute
tolerance), stored once per event id, then applied: opportunity won/lost and account updates.

Signature: `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`
with the shared secret OVATION_CRM_WEBHOOK_SECRET (a `whsec_` base64 secret, or any string used
as raw bytes). Body: {"id": "...", "type": "opportunity.won" | "opportunity.lost" |
"account.updated", "data": {...}}."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ovation.activity.services import event_publish
from ovation.core.errors import ServiceError
from ovation.directory.models import Account, Contact, Industry, Region
from ovation.directory.services import account_upsert, taxonomy_get_or_create

from . import selectors
from .models import InboundWebhook

TOLERANCE_SECONDS = 5 * 60
EVENT_TYPES = {"opportunity.won", "opportunity.lost", "account.updated"}


class InboundRefused(ServiceError):
    """The message failed verification (status 401) or is malformed (400)."""


def crm_secret() -> str:
    return getattr(settings, "OVATION_CRM_WEBHOOK_SECRET", "") or os.environ.get(
        "OVATION_CRM_WEBHOOK_SECRET", ""
    )


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:])
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def inbound_sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = message_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return (
        "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()
    )


def inbound_verify(
    *, secret: str, headers: dict[str, str], body: bytes, now: datetime | None = None
) -> str:
    """Return the message id if the signature and timestamp check out; raise otherwise."""
    now = now or timezone.now()
    message_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and raw_ts and signatures):
        err = InboundRefused("webhook-id, webhook-timestamp and webhook-signature are required")
        err.status = 401
        raise err
    try:
        ts = int(raw_ts)
    except ValueError as exc:
        err = InboundRefused("webhook-timestamp must be Unix seconds", field="webhook-timestamp")
        err.status = 401
        raise err from exc
    if abs(now.timestamp() - ts) > TOLERANCE_SECONDS:
        err = InboundRefused(
            "webhook-timestamp is more than 5 minutes away from now", field="webhook-timestamp"
        )
        err.status = 401
        raise err
    expected = inbound_sign(secret=secret, message_id=message_id, timestamp=ts, body=body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate, expected):
            return message_id
    err = InboundRefused("the signature does not match", field="webhook-signature")
    err.status = 401
    raise err


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ServiceError(f"{field} must be a date (YYYY-MM-DD)", field=f"data.{field}") from exc


def _account_update(data: dict) -> str:
    crm_id = str(data.get("crm_id") or data.get("account_crm_id") or "").strip()
    name = str(data.get("name") or "").strip()
    if not crm_id and not name:
        raise ServiceError("an account update needs crm_id or name", field="data.crm_id")
    if not name:
        existing = Account.objects.filter(crm_id=crm_id).first()
        if existing is None:
            raise ServiceError(
                f"no account with crm_id {crm_id} and no name given", field="data.name"
            )
        name = existing.name
    fields: dict = {}
    for key in ("domain", "country", "status", "employee_band"):
        if key in data and data[key] is not None:
            fields[key] = str(data[key])
    if "arr" in data and data["arr"] is not None:
        try:
            fields["arr"] = round(float(data["arr"]), 2)
        except (TypeError, ValueError) as exc:
            raise ServiceError("arr must be a number", field="data.arr") from exc
        if fields["arr"] < 0:
            raise ServiceError("arr must not be negative", field="data.arr")
    for key in ("renewal_date", "customer_since"):
        if key in data:
            fields[key] = _date(data[key], key)
    if data.get("industry"):
        fields["industry"] = taxonomy_get_or_create(Industry, str(data["industry"]))
    if data.get("region"):
        fields["region"] = taxonomy_get_or_create(Region, str(data["region"]))
    if "status" in fields and fields["status"] not in Account.Status.values:
        raise ServiceError(f"unknown status {fields['status']!r}", field="data.status")
    account, created = account_upsert(name=name, crm_id=crm_id or None, **fields)
    return f"account {account.pk} {'created' if created else 'updated'}"


def _opportunity_closed(event_type: str, data: dict) -> str:
    won = event_type == "opportunity.won"
    upsert = selectors._optional("ovation.references.services", "opportunity_upsert")
    record = selectors._optional("ovation.references.services", "opportunity_outcome_record")
    if upsert is not None and record is not None:
        crm_id = str(data.get("opportunity_id") or data.get("crm_id") or "").strip()
        if not crm_id:
            raise ServiceError("opportunity_id is required", field="data.opportunity_id")
        opportunity = upsert(
            name=str(data.get("name") or crm_id),
            crm_id=crm_id,
            amount=data.get("amount") or 0,
            stage=str(data.get("stage") or ("Closed Won" if won else "Closed Lost")),
            close_date=_date(data.get("close_date"), "close_date"),
        )
        record(
            opportunity=opportunity,
            outcome="won" if won else "lost",
            amount=data.get("amount"),
            closed_at=_date(data.get("close_date"), "close_date"),
        )
        return f"opportunity {opportunity.pk} marked {'won' if won else 'lost'}"
    contact = None
    if data.get("contact_crm_id"):
        contact = Contact.objects.filter(crm_id=str(data["contact_crm_id"])).first()
    account = None
    if data.get("account_crm_id"):
        account = Account.objects.filter(crm_id=str(data["account_crm_id"])).first()
    event_publish(
        type="crm.opportunity_closed",
        contact=contact,
        data={
            **data,
            "won": won,
            "account_id": account.pk if account else None,
            "contact_id": contact.pk if contact else None,
        },
    )
    return f"opportunity {'won' if won else 'lost'}: published crm.opportunity_closed"


def inbound_crm_receive(
    *, headers: dict[str, str], body: bytes, now: datetime | None = None
) -> tuple[InboundWebhook, bool]:
    """Verify, store once, apply. Returns (message, created); a replay returns (first, False)
    and changes nothing."""
    secret = crm_secret()
    if not secret:
        err = ServiceError("inbound CRM webhooks are not configured (OVATION_CRM_WEBHOOK_SECRET)")
        err.status = 503
        raise err
    message_id = inbound_verify(secret=secret, headers=headers, body=body, now=now)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceError("the body is not valid JSON", field="body") from exc
    if not isinstance(payload, dict):
        raise ServiceError("the body must be a JSON object", field="body")
    event_type = payload.get("type")
    if event_type not in EVENT_TYPES:
        raise ServiceError(f"type must be one of {', '.join(sorted(EVENT_TYPES))}", field="type")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise ServiceError("data must be an object", field="data")
    event_id = str(payload.get("id") or message_id)[:120]
    existing = InboundWebhook.objects.filter(source="crm", event_id=event_id).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            message = InboundWebhook.objects.create(
                source="crm", event_id=event_id, event_type=event_type, payload=payload
            )
            if event_type == "account.updated":
                result = _account_update(data)
            else:
                result = _opportunity_closed(event_type, data)
            message.result = result[:300]
            message.save(update_fields=["result"])
    except IntegrityError:
        return InboundWebhook.objects.get(source="crm", event_id=event_id), False
    return message, True
