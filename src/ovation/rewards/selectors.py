"""Reads for the rewards app: the catalogue as an advocate sees it, the fulfilment queue, a
contact's redemptions, and access helpers that give the same 404 for missing and forbidden."""

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from ovation.directory.models import Account, Contact

from .models import AccountRewardPolicy, Redemption, Reward

_NOT_CANCELLED = Q(
    redemptions__status__in=[
        Redemption.Status.REQUESTED,
        Redemption.Status.APPROVED,
        Redemption.Status.FULFILLED,
    ]
)


def reward_catalogue(
    *, contact: Contact | None = None, kind: str = "", now=None
) -> QuerySet[Reward]:
    """Active rewards inside their window; with a contact, `mine` counts their (not cancelled)
    redemptions of each, for per-person limits."""
    now = now or timezone.now()
    qs = (
        Reward.objects.filter(is_active=True)
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        .filter(Q(available_until__isnull=True) | Q(available_until__gt=now))
        .defer("image_data")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if contact is not None:
        qs = qs.annotate(
            mine=Count(
                "redemptions",
                filter=Q(redemptions__contact=contact) & _NOT_CANCELLED,
            )
        )
    return qs.order_by("cost", "name")


def reward_list(*, search: str = "", kind: str = "", state: str = "") -> QuerySet[Reward]:
    """Staff catalogue with counts: open (requested/approved) and redeemed (not cancelled)."""
    qs = Reward.objects.defer("image_data").annotate(
        open_count=Count("redemptions", filter=Q(redemptions__status__in=Redemption.OPEN_STATUSES)),
        redeemed_count=Count("redemptions", filter=_NOT_CANCELLED),
    )
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    if state == "active":
        qs = qs.filter(is_active=True)
    elif state == "inactive":
        qs = qs.filter(is_active=False)
    return qs.order_by("-is_active", "cost", "name")


def reward_get_available(*, reward_id: int) -> Reward:
    reward = reward_catalogue().filter(pk=reward_id).first()
    if reward is None:
        raise Http404("reward not found")
    return reward


def redemption_list(
    *, status: str = "", kind: str = "", search: str = "", contact_id: int | None = None
) -> QuerySet[Redemption]:
    """The fulfilment queue. `status="open"` means requested or approved (oldest first)."""
    qs = Redemption.objects.select_related(
        "reward", "contact", "contact__account", "requested_by"
    ).defer("reward__image_data")
    if status == "open":
        qs = qs.filter(status__in=Redemption.OPEN_STATUSES).order_by("created_at", "id")
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(reward__kind=kind)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if search:
        qs = qs.filter(
            Q(contact__email__icontains=search)
            | Q(contact__first_name__icontains=search)
            | Q(contact__last_name__icontains=search)
            | Q(contact__account__name__icontains=search)
            | Q(reward__name__icontains=search)
        )
    return qs


def redemption_counts() -> dict[str, int]:
    rows = Redemption.objects.values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(Redemption.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def points_redeemed_since(since) -> int:
    return (
        Redemption.objects.filter(created_at__gte=since)
        .exclude(status=Redemption.Status.CANCELLED)
        .aggregate(total=Sum("points"))["total"]
        or 0
    )


def redemption_list_for_contact(*, contact: Contact) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(contact=contact)
        .select_related("reward")
        .defer("reward__image_data")
        .prefetch_related("events")
    )


def access_redemption(*, contact: Contact, redemption_id: int) -> Redemption:
    """An advocate's own redemption, or 404 (for missing and someone else's alike)."""
    redemption = redemption_list_for_contact(contact=contact).filter(pk=redemption_id).first()
    if redemption is None:
        raise Http404("redemption not found")
    return redemption


def redemption_get(*, redemption_id: int) -> Redemption:
    redemption = (
        Redemption.objects.select_related(
            "reward", "contact", "contact__account", "requested_by", "debit_entry", "refund_entry"
        )
        .defer("reward__image_data")
        .prefetch_related("events__actor")
        .filter(pk=redemption_id)
        .first()
    )
    if redemption is None:
        raise Http404("redemption not found")
    return redemption


def policy_for_contact(contact: Contact) -> AccountRewardPolicy | None:
    if contact.account_id is None:
        return None
    return AccountRewardPolicy.objects.filter(
        account_id=contact.account_id, donations_only=True
    ).first()


def policy_list() -> QuerySet[AccountRewardPolicy]:
    return AccountRewardPolicy.objects.select_related("account", "updated_by").order_by(
        "account__name"
    )


def account_search(*, search: str, limit: int = 20) -> list[Account]:
    if not search:
        return []
    return list(
        Account.objects.filter(Q(name__icontains=search) | Q(crm_id__iexact=search))
        .select_related("reward_policy")
        .order_by("name")[:limit]
    )
