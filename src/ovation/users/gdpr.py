from .models import AuditEvent


def export(contact) -> dict:
    if contact.user_id is None:
        return {}
    return {
        "account": [
            {
                "email": contact.user.email,
                "role": contact.user.role,
                "date_joined": contact.user.date_joined,
                "last_login": contact.user.last_login,
            }
        ],
        "audit_log": list(
            AuditEvent.objects.filter(actor_id=contact.user_id).values(
                "created_at", "action", "target_label"
            )
        ),
    }


def erase(contact, actor) -> None:
    """The login itself is deleted by the directory's erase; audit rows keep no name, only the action."""
    if contact.user_id:
        AuditEvent.objects.filter(actor_id=contact.user_id).update(
            actor_label="erased user", ip=None, user_agent=""
        )
