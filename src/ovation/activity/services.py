from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from ovation.directory.models import Account, Contact

from .models import Activity, DomainEvent
from .signals import event_committed


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def event_publish(
    *,
    type: str,
    data: dict[str, Any] | None = None,
    contact: Contact | None = None,
    occurred_at: datetime | None = None,
) -> DomainEvent:
    """Write a domain event in the caller's transaction; subscribers hear of it after commit."""
    event = DomainEvent.objects.create(
        type=type, data=_jsonable(data), contact=contact, occurred_at=occurred_at or timezone.now()
    )
    transaction.on_commit(lambda: event_committed.send(sender=DomainEvent, event=event))
    return event


@transaction.atomic
def activity_record(
    *,
    kind: str,
    contact: Contact | None = None,
    account: Account | None = None,
    occurred_at: datetime | None = None,
    points: int = 0,
    source: str = "",
    data: dict[str, Any] | None = None,
    actor=None,
    external_id: str | None = None,
    publish: bool = True,
) -> Activity:
    """Record an activity and publish `activity.recorded` (plus its own kind as event type).

    With an `external_id` the call is idempotent: a second call returns the first activity."""
    if contact is None and account is None:
        raise ValueError("an activity needs a contact or an account")
    if account is None and contact is not None:
        account = contact.account
    if external_id:
        existing = Activity.objects.filter(external_id=external_id).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                kind=kind,
                contact=contact,
                account=account,
                occurred_at=occurred_at or timezone.now(),
                points=points,
                source=source,
                data=_jsonable(data),
                actor=actor,
                external_id=external_id or None,
            )
    except IntegrityError:
        if external_id:
            return Activity.objects.get(external_id=external_id)
        raise
    if publish:
        event_publish(
            type=kind,
            contact=contact,
            occurred_at=activity.occurred_at,
            data={
                "activity_id": activity.pk,
                "kind": kind,
                "contact_id": contact.pk if contact else None,
                "account_id": account.pk if account else None,
                "points": points,
                "source": source,
                **activity.data,
            },
        )
    return activity
