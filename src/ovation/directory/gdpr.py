from ovation.users.audit import audit_record

from .models import Consent, Contact


def export(contact: Contact) -> dict:
    account = contact.account
    return {
        "contact": [
            {
                "id": contact.pk,
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
                "title": contact.title,
                "seniority": contact.seniority,
                "persona": contact.persona,
                "phone": contact.phone,
                "timezone": contact.timezone,
                "crm_id": contact.crm_id,
                "stage": contact.stage,
                "account": account.name if account else None,
                "created_at": contact.created_at,
                "updated_at": contact.updated_at,
            }
        ],
        "consents": list(
            Consent.objects.filter(contact=contact).values(
                "purpose", "is_granted", "source", "note", "recorded_at"
            )
        ),
    }


def erase(contact: Contact, actor) -> None:
    """Anonymise the contact row (kept so that totals and the consent history stay consistent)."""
    user = contact.user
    Contact.objects.filter(pk=contact.pk).update(
        first_name="Erased",
        last_name="contact",
        email=f"erased-{contact.pk}@erased.invalid",
        title="",
        phone="",
        timezone="",
        crm_id=None,
        is_active=False,
        user=None,
    )
    Consent.objects.filter(contact=contact).update(note="")
    if user is not None:
        user.delete()
    audit_record(action="gdpr.erased", actor=actor, target=contact, data={"contact_id": contact.pk})
