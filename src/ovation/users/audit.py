"""The audit log service. Call `audit_record` inside the same transaction as the change."""

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from ovation.core.middleware import current_origin

from .models import AuditEvent


def audit_record(
    *, action: str, actor=None, target=None, data: dict[str, Any] | None = None
) -> AuditEvent:
    import json

    origin = current_origin()
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:254] if target is not None else "",
        ip=origin.get("ip") or None,
        user_agent=origin.get("user_agent", ""),
        data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
    )
