"""Reads from the directory, with related rows joined so pages and the API make no N+1."""

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from .models import Account, Consent, Contact, Product


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


def account_detail_queryset() -> QuerySet[Account]:
    """One account with everything its page shows joined (products prefetched)."""
    return account_list().prefetch_related(Prefetch("products", queryset=Product.objects.all()))


def contact_detail_queryset() -> QuerySet[Contact]:
    """One contact with its account (and the account's taxonomies and CSM) joined."""
    return Contact.objects.select_related(
        "account", "account__industry", "account__region", "account__csm_owner", "user"
    ).prefetch_related(Prefetch("account__products", queryset=Product.objects.all()))


def account_contact_counts(account_ids: list[int]) -> dict[int, dict[str, int]]:
    """Contacts and advocates (advocate or champion stage) per account, in one query."""
    rows = (
        Contact.objects.filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(
            contacts=Count("id"),
            advocates=Count(
                "id", filter=Q(stage__in=[Contact.Stage.ADVOCATE, Contact.Stage.CHAMPION])
            ),
        )
        .order_by()
    )
    return {r["account_id"]: {"contacts": r["contacts"], "advocates": r["advocates"]} for r in rows}


def consent_history(*, contact: Contact) -> list[Consent]:
    """Every consent decision of a contact, newest first, with who recorded it (one query)."""
    return list(contact.consents.select_related("actor").order_by("-recorded_at", "-id"))


def consent_summary(*, contact: Contact) -> list[dict]:
    """One row per purpose: its current decision (or None) and the earlier ones, from one query."""
    history = consent_history(contact=contact)
    rows = []
    for value, label in Consent.Purpose.choices:
        decisions = [c for c in history if c.purpose == value]
        rows.append(
            {
                "purpose": value,
                "label": label,
                "current": decisions[0] if decisions else None,
                "history": decisions[1:],
            }
        )
    return rows
