from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.activity.models import Activity, DomainEvent
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Account
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import InsufficientPoints, balance_get, ledger_reconcile
from ovation.rewards.models import AccountRewardPolicy, Redemption, RedemptionEvent, Reward
from ovation.rewards.services import (
    OutOfStock,
    PolicyViolation,
    policy_set,
    redemption_create,
    redemption_transition,
    reward_create,
    reward_image_clean,
    reward_update,
)

from .factories import RewardFactory

pytestmark = pytest.mark.django_db


def test_redeeming_debits_points_decrements_stock_and_records_activity(advocate, manager):
    reward = RewardFactory(name="$25 gift card", cost=100, stock=3)

    redemption, created = redemption_create(reward=reward, contact=advocate, actor=manager)

    assert created is True
    assert redemption.status == Redemption.Status.APPROVED  # no approval needed
    assert redemption.points == 100
    assert balance_get(contact=advocate).spendable == 900
    assert balance_get(contact=advocate).lifetime == 1000  # spending never lowers lifetime
    reward.refresh_from_db()
    assert reward.stock == 2
    debit = LedgerEntry.objects.get(idempotency_key=f"redemption:{redemption.pk}")
    assert (debit.amount, debit.kind, debit.actor) == (-100, "redeem", manager)
    assert redemption.debit_entry == debit
    activity = Activity.objects.get(kind="reward.redeemed")
    assert activity.contact == advocate
    assert activity.data["reward"] == "$25 gift card"
    assert DomainEvent.objects.filter(type="reward.redeemed", contact=advocate).count() == 1
    assert ledger_reconcile() == []


def test_reward_requiring_approval_starts_requested(advocate):
    reward = RewardFactory(requires_approval=True)
    redemption, _ = redemption_create(reward=reward, contact=advocate)
    assert redemption.status == Redemption.Status.REQUESTED
    assert redemption.approved_at is None


def test_short_balance_is_refused_and_writes_nothing(funded_contact):
    contact = funded_contact(points=99)
    reward = RewardFactory(cost=100, stock=5)
    with pytest.raises(InsufficientPoints) as exc:
        redemption_create(reward=reward, contact=contact)
    assert exc.value.status == 409
    assert "costs 100 points; the balance is 99" in exc.value.message
    reward.refresh_from_db()
    assert reward.stock == 5
    assert Redemption.objects.count() == 0
    assert balance_get(contact=contact).spendable == 99


def test_out_of_stock_is_a_conflict_and_debits_nothing(advocate):
    reward = RewardFactory(stock=0)
    with pytest.raises(OutOfStock) as exc:
        redemption_create(reward=reward, contact=advocate)
    assert exc.value.status == 409
    assert exc.value.field == "reward"
    assert balance_get(contact=advocate).spendable == 1000
    assert not Redemption.objects.exists()


def test_per_person_limit_counts_all_but_cancelled(advocate):
    reward = RewardFactory(per_person_limit=1)
    first, _ = redemption_create(reward=reward, contact=advocate)
    with pytest.raises(PolicyViolation) as exc:
        redemption_create(reward=reward, contact=advocate)
    assert exc.value.status == 422 and exc.value.field == "reward"
    redemption_transition(redemption=first, status="cancelled")
    second, created = redemption_create(reward=reward, contact=advocate)
    assert created and second.pk != first.pk
    assert balance_get(contact=advocate).spendable == 900


def test_donations_only_account_may_redeem_donations_only(advocate, manager):
    policy_set(account=advocate.account, donations_only=True, note="Public sector", actor=manager)
    gift = RewardFactory(name="Hoodie", kind=Reward.Kind.SWAG, variants=["M"])
    donation = RewardFactory(name="Donate $25 to Code.org", kind=Reward.Kind.DONATION)

    with pytest.raises(PolicyViolation) as exc:
        redemption_create(reward=gift, contact=advocate, variant="M")
    assert exc.value.field == "reward"
    assert f"{advocate.account.name}'s gift policy allows charity donations only" in str(exc.value)
    assert balance_get(contact=advocate).spendable == 1000

    redemption, created = redemption_create(reward=donation, contact=advocate)
    assert created and redemption.reward == donation

    policy_set(account=advocate.account, donations_only=False)
    assert not AccountRewardPolicy.objects.exists()
    redemption_create(reward=gift, contact=advocate, variant="M")


def test_swag_needs_a_listed_size_and_shipping_when_asked(advocate):
    hoodie = RewardFactory(kind=Reward.Kind.SWAG, variants=["S", "M", "L"], needs_shipping=True)
    with pytest.raises(PolicyViolation) as exc:
        redemption_create(reward=hoodie, contact=advocate, shipping_address="1 Main St")
    assert exc.value.field == "variant"
    with pytest.raises(PolicyViolation) as exc:
        redemption_create(reward=hoodie, contact=advocate, variant="XXL", shipping_address="x")
    assert exc.value.field == "variant" and "choose one of: S, M, L" in exc.value.message
    with pytest.raises(PolicyViolation) as exc:
        redemption_create(reward=hoodie, contact=advocate, variant="M")
    assert exc.value.field == "shipping_address"
    redemption, _ = redemption_create(
        reward=hoodie, contact=advocate, variant="M", shipping_address="1 Main St\nSpringfield"
    )
    assert redemption.variant == "M"
    assert Redemption.objects.count() == 1


def test_rewards_outside_their_window_or_inactive_are_refused(advocate):
    now = timezone.now()
    later = RewardFactory(available_from=now + timedelta(days=1))
    ended = RewardFactory(available_until=now - timedelta(days=1))
    inactive = RewardFactory(is_active=False)
    for reward in (later, ended, inactive):
        with pytest.raises(PolicyViolation):
            redemption_create(reward=reward, contact=advocate)
    assert balance_get(contact=advocate).spendable == 1000


def test_status_moves_forward_and_cancellation_refunds_once(advocate, manager):
    reward = RewardFactory(requires_approval=True, stock=1)
    redemption, _ = redemption_create(reward=reward, contact=advocate)
    reward.refresh_from_db()
    assert reward.stock == 0

    with pytest.raises(Conflict):
        redemption_transition(redemption=redemption, status="fulfilled")
    redemption_transition(redemption=redemption, status="approved", actor=manager)
    cancelled, changed = redemption_transition(
        redemption=redemption, status="cancelled", actor=manager, note="Out of hoodies"
    )
    again, changed_again = redemption_transition(redemption=redemption, status="cancelled")

    assert (changed, changed_again) == (True, False)
    assert cancelled.refund_entry.amount == 100
    assert cancelled.refund_entry.lifetime_delta == 0
    assert balance_get(contact=advocate).spendable == 1000
    assert balance_get(contact=advocate).lifetime == 1000
    reward.refresh_from_db()
    assert reward.stock == 1
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert list(
        RedemptionEvent.objects.filter(redemption=redemption).values_list("to_status", flat=True)
    ) == ["requested", "approved", "cancelled"]
    assert DomainEvent.objects.filter(type="reward.cancelled").count() == 1
    with pytest.raises(Conflict):
        redemption_transition(redemption=redemption, status="approved")


def test_fulfilled_redemption_cannot_be_cancelled(advocate):
    redemption, _ = redemption_create(reward=RewardFactory(), contact=advocate)
    redemption_transition(redemption=redemption, status="fulfilled", note="Code sent by email")
    with pytest.raises(Conflict):
        redemption_transition(redemption=redemption, status="cancelled")
    assert balance_get(contact=advocate).spendable == 900
    assert DomainEvent.objects.filter(type="reward.fulfilled").count() == 1


def test_same_request_key_redeems_once(advocate, reward):
    first, created = redemption_create(reward=reward, contact=advocate, request_key="hub:1:abc")
    again, created_again = redemption_create(
        reward=reward, contact=advocate, request_key="hub:1:abc"
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert balance_get(contact=advocate).spendable == 900


def test_reward_create_validates_fields():
    with pytest.raises(ServiceError) as exc:
        reward_create(name="", kind="swag", cost=10)
    assert exc.value.field == "name"
    with pytest.raises(ServiceError) as exc:
        reward_create(name="Mug", kind="mug", cost=10)
    assert exc.value.field == "kind"
    with pytest.raises(ServiceError) as exc:
        reward_create(name="Mug", kind="swag", cost=0)
    assert exc.value.field == "cost"
    with pytest.raises(ServiceError) as exc:
        reward_create(name="Tee", kind="swag", cost=10, variants="S, M, s")
    assert exc.value.field == "variants"
    now = timezone.now()
    with pytest.raises(ServiceError) as exc:
        reward_create(name="Tee", kind="swag", cost=10, available_from=now, available_until=now)
    assert exc.value.field == "available_until"
    assert not Reward.objects.exists()
    tee = reward_create(name="Tee", kind="swag", cost=10, variants=" S, M ,L ")
    assert tee.variants == ["S", "M", "L"]
    reward_update(reward=tee, stock=4)
    tee.refresh_from_db()
    assert tee.stock == 4


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (SVG, "image/svg+xml"),
        (b'<?xml version="1.0"?>\n' + SVG, "image/svg+xml"),
    ],
)
def test_images_png_and_plain_svg_are_accepted(data, expected):
    assert reward_image_clean(data=data) == (data, expected)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a....", "must be a PNG or an SVG"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * (512 * 1024), "the limit is 512 KB"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "scripts"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "scripts"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.test/x.png"/></svg>',
            "scripts",
        ),
    ],
)
def test_bad_images_are_refused_naming_the_field(data, message):
    with pytest.raises(ServiceError) as exc:
        reward_image_clean(data=data)
    assert exc.value.field == "image"
    assert message in exc.value.message


def test_policy_set_records_actor_and_note(manager):
    account = Account.objects.create(name="City of Springfield")
    policy = policy_set(account=account, donations_only=True, note=" Public sector ", actor=manager)
    assert (policy.note, policy.updated_by) == ("Public sector", manager)
