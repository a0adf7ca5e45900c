"""Rewards: the catalogue, redemption (points debited through the ledger, stock decremented by
a conditional UPDATE, both in one transaction), fulfilment status changes with notes, and
cancellation that refunds through the ledger exactly once."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import Conflict, IdempotencyMismatch, NotFound, ServiceError
from ovation.core.images import image_clean
from ovation.directory.models import Account, Contact
from ovation.ledger.models import PointsBalance
from ovation.ledger.services import InsufficientPoints, ledger_debit, ledger_reverse

from .models import AccountRewardPolicy, Redemption, RedemptionEvent, Reward

MAX_IMAGE_BYTES = 512 * 1024
MAX_VARIANTS = 20
REDEEMED_ACTIVITY = "reward.redeemed"


class PolicyViolation(ServiceError):
    """A rule of the catalogue or of the contact's account refuses this redemption."""

    status = 422


class OutOfStock(Conflict):
    """The reward has no stock left."""


# --- Catalogue ---------------------------------------------------------------------------------

_REWARD_FIELDS = {
    "name",
    "kind",
    "description",
    "fulfilment_info",
    "cost",
    "stock",
    "per_person_limit",
    "variants",
    "needs_shipping",
    "requires_approval",
    "is_active",
    "available_from",
    "available_until",
}


def _clean_variants(variants) -> list[str]:
    if variants in (None, ""):
        return []
    if isinstance(variants, str):
        variants = variants.split(",")
    cleaned, seen = [], set()
    for value in variants:
        value = str(value).strip()
        if not value:
            continue
        if len(value) > 60:
            raise ServiceError(
                f"option {value[:20]!r}… is longer than 60 characters", field="variants"
            )
        if value.lower() in seen:
            raise ServiceError(f"option {value!r} is listed twice", field="variants")
        seen.add(value.lower())
        cleaned.append(value)
    if len(cleaned) > MAX_VARIANTS:
        raise ServiceError(f"at most {MAX_VARIANTS} options", field="variants")
    return cleaned


def _validate_reward(fields: dict) -> dict:
    unknown = set(fields) - _REWARD_FIELDS
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ServiceError("a name is required", field="name")
    if "kind" in fields and fields["kind"] not in Reward.Kind.values:
        raise ServiceError(f"kind must be one of {', '.join(Reward.Kind.values)}", field="kind")
    if "cost" in fields and (not isinstance(fields["cost"], int) or fields["cost"] <= 0):
        raise ServiceError("cost must be a positive whole number of points", field="cost")
    for name in ("stock", "per_person_limit"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ServiceError(f"{name} must be empty or a whole number >= 0", field=name)
    if fields.get("per_person_limit") == 0:
        raise ServiceError(
            "per_person_limit must be at least 1 (or empty)", field="per_person_limit"
        )
    if "variants" in fields:
        fields["variants"] = _clean_variants(fields["variants"])
    return fields


def _check_window(reward: Reward) -> None:
    if (
        reward.available_from
        and reward.available_until
        and reward.available_until <= reward.available_from
    ):
        raise ServiceError("the end must be after the start", field="available_until")


@transaction.atomic
def reward_create(*, actor=None, image: tuple[bytes, str] | None = None, **fields) -> Reward:
    """Add a reward to the catalogue. `image` is (bytes, content type) from `reward_image_clean`."""
    fields = _validate_reward(dict(fields))
    for required in ("name", "kind", "cost"):
        if required not in fields:
            raise ServiceError(f"{required} is required", field=required)
    reward = Reward(created_by=actor, **fields)
    _check_window(reward)
    if image:
        reward.image_data, reward.image_type = image
    reward.save()
    return reward


@transaction.atomic
def reward_update(
    *,
    reward: Reward,
    actor=None,
    image: tuple[bytes, str] | None = None,
    remove_image=False,
    **fields,
) -> Reward:
    """Change a reward. Stock set here replaces the count (a restock); redemptions already
    made keep the points and status they had."""
    fields = _validate_reward(dict(fields))
    for name, value in fields.items():
        setattr(reward, name, value)
    _check_window(reward)
    update_fields = [*fields, "updated_at"]
    if image:
        reward.image_data, reward.image_type = image
        update_fields += ["image_data", "image_type"]
    elif remove_image:
        reward.image_data, reward.image_type = None, ""
        update_fields += ["image_data", "image_type"]
    reward.save(update_fields=update_fields)
    return reward


def reward_image_clean(*, data: bytes, filename: str = "") -> tuple[bytes, str]:
    """Accept a PNG or an SVG up to 512 KB; returns (bytes, content type). SVGs with scripts,
    event handlers, external references or entity declarations are refused (the image is also
    served with a sandboxing Content-Security-Policy)."""
    return image_clean(data=data, kinds=("png", "svg"), max_bytes=MAX_IMAGE_BYTES)


# --- Gift policy -------------------------------------------------------------------------------


@transaction.atomic
def policy_set(
    *, account: Account, donations_only: bool, note: str = "", actor=None
) -> AccountRewardPolicy | None:
    """Mark an account donations-only (or lift the restriction: the row is removed)."""
    if not donations_only:
        AccountRewardPolicy.objects.filter(account=account).delete()
        return None
    policy, _ = AccountRewardPolicy.objects.update_or_create(
        account=account,
        defaults={"donations_only": True, "note": (note or "").strip()[:300], "updated_by": actor},
    )
    return policy


def policy_allows(*, contact: Contact, reward: Reward) -> str | None:
    """None when the contact's account policy allows the reward, else the reason it does not."""
    if reward.kind == Reward.Kind.DONATION or contact.account_id is None:
        return None
    policy = AccountRewardPolicy.objects.filter(
        account_id=contact.account_id, donations_only=True
    ).first()
    if policy is None:
        return None
    name = contact.account.name if contact.account else "Your company"
    return (
        f"{name}'s gift policy allows charity donations only; "
        f"choose a charity donation instead of {reward.name}"
    )


# --- Redemption --------------------------------------------------------------------------------


def _replay(existing: Redemption, reward: Reward, contact: Contact) -> tuple[Redemption, bool]:
    if existing.reward_id != reward.pk or existing.contact_id != contact.pk:
        raise IdempotencyMismatch(
            "this request key was already used for a different redemption",
            field="Idempotency-Key",
            code="idempotency_mismatch",
        )
    return existing, False


def redemption_create(
    *,
    reward: Reward,
    contact: Contact,
    actor=None,
    variant: str = "",
    shipping_address: str = "",
    request_key: str | None = None,
) -> tuple[Redemption, bool]:
    """Redeem `reward` for `contact`; returns (redemption, created).

    In one transaction: the contact's balance row is locked (serialising their redemptions,
    so the per-person limit cannot be raced), stock is decremented with a conditional UPDATE
    (`stock > 0`), and the points are debited through the ledger with the key
    `redemption:<id>`. Any refusal writes nothing. A `request_key` makes a double submit
    return the first redemption."""
    if request_key:
        existing = Redemption.objects.filter(request_key=request_key).first()
        if existing is not None:
            return _replay(existing, reward, contact)
    variant = (variant or "").strip()
    shipping_address = (shipping_address or "").strip()
    if not contact.is_active:
        raise PolicyViolation(f"{contact} is not an active contact", field="contact_id")
    if not reward.is_available():
        raise PolicyViolation(f"{reward.name} is not available right now", field="reward")
    if reward.variants and variant not in reward.variants:
        raise PolicyViolation(
            f"choose one of: {', '.join(reward.variants)}"
            if not variant
            else f"{variant!r} is not an option; choose one of: {', '.join(reward.variants)}",
            field="variant",
        )
    if not reward.variants and variant:
        raise PolicyViolation(f"{reward.name} has no options to choose from", field="variant")
    if reward.needs_shipping and not shipping_address:
        raise PolicyViolation(
            "a shipping address is required for this reward", field="shipping_address"
        )
    refusal = policy_allows(contact=contact, reward=reward)
    if refusal:
        raise PolicyViolation(refusal, field="reward", code="gift_policy")
    try:
        with transaction.atomic():
            spendable = (
                PointsBalance.objects.select_for_update()
                .filter(contact=contact)
                .values_list("spendable", flat=True)
                .first()
            ) or 0
            if request_key:
                # A concurrent twin may have committed while we waited for the lock.
                existing = Redemption.objects.filter(request_key=request_key).first()
                if existing is not None:
                    return _replay(existing, reward, contact)
            if spendable < reward.cost:
                raise InsufficientPoints(
                    f"{reward.name} costs {reward.cost:,} points; the balance is {spendable:,}",
                    field="points",
                    code="insufficient_points",
                )
            if reward.per_person_limit:
                taken = (
                    Redemption.objects.filter(reward=reward, contact=contact)
                    .exclude(status=Redemption.Status.CANCELLED)
                    .count()
                )
                if taken >= reward.per_person_limit:
                    raise PolicyViolation(
                        f"{reward.name} can be redeemed {reward.per_person_limit} time(s) per "
                        "person, and that limit is reached",
                        field="reward",
                        code="per_person_limit",
                    )
            decremented = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(
                stock=F("stock") - 1, updated_at=timezone.now()
            )
            if not decremented and not Reward.objects.filter(pk=reward.pk, stock=None).exists():
                raise OutOfStock(
                    f"{reward.name} is out of stock", field="reward", code="out_of_stock"
                )
            now = timezone.now()
            auto_approved = not reward.requires_approval
            redemption = Redemption.objects.create(
                reward=reward,
                contact=contact,
                points=reward.cost,
                variant=variant,
                shipping_address=shipping_address,
                status=Redemption.Status.APPROVED if auto_approved else Redemption.Status.REQUESTED,
                approved_at=now if auto_approved else None,
                request_key=request_key or None,
                requested_by=actor,
            )
            entry, _ = ledger_debit(
                contact=contact,
                points=reward.cost,
                idempotency_key=f"redemption:{redemption.pk}",
                source_type="redemption",
                source_id=redemption.pk,
                reason=f"Redeemed: {reward.name}" + (f" ({variant})" if variant else ""),
                actor=actor,
            )
            redemption.debit_entry = entry
            redemption.save(update_fields=["debit_entry"])
            RedemptionEvent.objects.create(
                redemption=redemption,
                to_status=redemption.status,
                note="Approved automatically" if auto_approved else "",
                actor=actor,
                created_at=now,
            )
            activity_record(
                kind=REDEEMED_ACTIVITY,
                contact=contact,
                source="rewards",
                actor=actor,
                occurred_at=now,
                external_id=f"redemption:{redemption.pk}",
                data={
                    "redemption_id": redemption.pk,
                    "reward_id": reward.pk,
                    "reward": reward.name,
                    "reward_kind": reward.kind,
                    "cost": reward.cost,
                    "variant": variant,
                    "status": redemption.status,
                },
            )
    except IntegrityError:
        if request_key:
            existing = Redemption.objects.filter(request_key=request_key).first()
            if existing is not None:
                return _replay(existing, reward, contact)
        raise
    return redemption, True


_TRANSITIONS = {
    Redemption.Status.REQUESTED: {Redemption.Status.APPROVED, Redemption.Status.CANCELLED},
    Redemption.Status.APPROVED: {Redemption.Status.FULFILLED, Redemption.Status.CANCELLED},
}


@transaction.atomic
def redemption_transition(
    *, redemption: Redemption, status: str, actor=None, note: str = "", is_internal: bool = False
) -> tuple[Redemption, bool]:
    """Move a redemption along requested -> approved -> fulfilled, or cancel it (refund once,
    stock restored once). Returns (redemption, changed). Asking for the status it already has
    changes nothing (a double click or a concurrent twin), but still records a note."""
    if status not in Redemption.Status.values:
        raise ServiceError(
            f"status must be one of {', '.join(Redemption.Status.values)}", field="status"
        )
    note = (note or "").strip()
    locked = (
        Redemption.objects.select_for_update(of=("self",))
        .filter(pk=redemption.pk)
        .select_related("reward", "contact", "debit_entry")
        .first()
    )
    if locked is None:
        raise NotFound("redemption not found")
    now = timezone.now()
    if locked.status == status:
        if note:
            RedemptionEvent.objects.create(
                redemption=locked,
                from_status=status,
                to_status=status,
                note=note,
                is_internal=is_internal,
                actor=actor,
                created_at=now,
            )
        return locked, False
    if status not in _TRANSITIONS.get(locked.status, set()):
        raise Conflict(
            f"a {locked.get_status_display().lower()} redemption cannot become {status}",
            field="status",
            code="invalid_transition",
        )
    previous = locked.status
    update_fields = ["status", "updated_at"]
    if status == Redemption.Status.CANCELLED:
        if locked.debit_entry is not None:
            refund, _ = ledger_reverse(
                entry=locked.debit_entry,
                reason=f"Redemption #{locked.pk} cancelled" + (f": {note}" if note else ""),
                actor=actor,
            )
            locked.refund_entry = refund
            update_fields.append("refund_entry")
        Reward.objects.filter(pk=locked.reward_id, stock__isnull=False).update(
            stock=F("stock") + 1, updated_at=now
        )
        locked.cancelled_at = now
        update_fields.append("cancelled_at")
    elif status == Redemption.Status.APPROVED:
        locked.approved_at = now
        update_fields.append("approved_at")
    elif status == Redemption.Status.FULFILLED:
        locked.fulfilled_at = now
        update_fields.append("fulfilled_at")
    locked.status = status
    locked.save(update_fields=update_fields)
    RedemptionEvent.objects.create(
        redemption=locked,
        from_status=previous,
        to_status=status,
        note=note,
        is_internal=is_internal,
        actor=actor,
        created_at=now,
    )
    event_publish(
        type=f"reward.{status}",
        contact=locked.contact,
        data={
            "redemption_id": locked.pk,
            "reward_id": locked.reward_id,
            "reward": locked.reward.name,
            "contact_id": locked.contact_id,
            "from_status": previous,
            "status": status,
            "points": locked.points,
        },
    )
    return locked, True


def redemption_note_add(
    *, redemption: Redemption, note: str, actor=None, is_internal: bool = False
) -> RedemptionEvent:
    note = (note or "").strip()
    if not note:
        raise ServiceError("the note is empty", field="note")
    return RedemptionEvent.objects.create(
        redemption=redemption,
        from_status=redemption.status,
        to_status=redemption.status,
        note=note,
        is_internal=is_internal,
        actor=actor,
    )
