"""Reads from the directory, with related rows joined so pages and the API make no N+1."""

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from .models import Account, Consent, Contact


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("industry", "region", "csm_owner")


def contact_list() -> QuerySet[Contact]:
    return Contact.objects.select_related("account", "account__industry", "account__region")


def contact_search(qs: QuerySet[Contact], q: str) -> QuerySet[Contact]:
    q = q.strip()
    if not q:
        return qs
    if "@" in q:
        return qs.filter(email__icontains=q)
    terms = q.split()
    cond = Q()
    for term in terms:
        cond &= (
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(account__name__icontains=term)
        )
    return qs.filter(cond)


def consent_current(*, contact: Contact) -> dict[str, Consent]:
    """The latest decision per purpose (purposes never decided are absent)."""
    current: dict[str, Consent] = {}
    for consent in contact.consents.select_related("actor").order_by("-recorded_at", "-id"):
        current.setdefault(consent.purpose, consent)
    return current


def consent_granted_contact_ids(*, purpose: str) -> QuerySet:
    """Ids of contacts whose latest decision for `purpose` is a grant (one query, for matching)."""
    latest = Consent.objects.filter(contact=OuterRef("contact"), purpose=purpose).order_by(
        "-recorded_at", "-id"
    )
    return (
        Consent.objects.filter(purpose=purpose)
        .annotate(latest_id=Subquery(latest.values("id")[:1]))
        .filter(id=F("latest_id"), is_granted=True)
        .values("contact_id")
    )
