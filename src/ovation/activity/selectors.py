from django.db.models import QuerySet

from .models import Activity


def activity_list(*, contact=None, account=None, kind: str | None = None) -> QuerySet[Activity]:
    qs = Activity.objects.select_related("contact", "account", "actor")
    if contact is not None:
        qs = qs.filter(contact=contact)
    if account is not None:
        qs = qs.filter(account=account)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-occurred_at", "-id")
