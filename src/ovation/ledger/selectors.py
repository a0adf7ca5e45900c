"""Reads of the points ledger: entries with their actor joined, and balances."""

from django.db.models import QuerySet

from ovation.directory.models import Contact

from .models import LedgerEntry, PointsBalance


def ledger_entry_list(*, contact: Contact | int) -> QuerySet[LedgerEntry]:
    """A contact's entries, newest first, with the acting user joined (no N+1)."""
    contact_id = contact if isinstance(contact, int) else contact.pk
    return LedgerEntry.objects.filter(contact_id=contact_id).select_related("actor")


def balance_list(*, search: str = "") -> QuerySet[PointsBalance]:
    """Balances with their contact and account, highest spendable first."""
    qs = PointsBalance.objects.select_related("contact", "contact__account").order_by(
        "-spendable", "contact_id"
    )
    if search:
        from django.db.models import Q

        qs = qs.filter(
            Q(contact__email__icontains=search)
            | Q(contact__first_name__icontains=search)
            | Q(contact__last_name__icontains=search)
            | Q(contact__account__name__icontains=search)
        )
    return qs
