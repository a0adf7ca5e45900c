from .models import Activity
from .services import event_publish


def export(contact) -> dict:
    return {
        "activities": list(
            Activity.objects.filter(contact=contact).values(
                "kind", "occurred_at", "points", "source", "data"
            )
        )
    }


def erase(contact, actor) -> None:
    """Activities stay for the counts in reports, stripped of free text; connected systems are told."""
    Activity.objects.filter(contact=contact).update(data={})
    event_publish(
        type="contact.erased",
        contact=contact,
        data={"contact_id": contact.pk, "crm_id": contact.crm_id},
    )
