"""Stage changes: rewards paid once per stage, clawbacks, review, activities and events."""

import pytest

from ovation.activity.models import Activity, DomainEvent
from ovation.core.errors import Conflict, ServiceError
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get
from ovation.referrals import selectors, services
from ovation.referrals.models import Referral, ReferralReward

from .factories import ContactFactory, LinkFactory
from .test_fraud import submit


def test_qualified_then_won_pays_each_reward_once(link, referrer):
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="qualified")
    services.referral_transition(referral_id=r.pk, to_status="qualified")  # no-op
    services.referral_transition(referral_id=r.pk, to_status="opportunity")
    services.referral_transition(referral_id=r.pk, to_status="won", amount="12000")

    assert balance_get(contact=referrer).spendable == 2500
    keys = sorted(LedgerEntry.objects.values_list("idempotency_key", flat=True))
    assert keys == [f"referral:{r.pk}:qualified:referrer", f"referral:{r.pk}:won:referrer"]
    friend = ReferralReward.objects.get(referral=r, recipient="friend")
    assert (friend.state, friend.note, friend.points) == (
        "issued",
        "Code FRIEND20: 20% off the first year",
        0,
    )
    r.refresh_from_db()
    assert (r.status, r.stage_reached, str(r.deal_amount)) == ("won", "won", "12000.00")
    converted = DomainEvent.objects.get(type="referral.converted")
    assert converted.data["amount"] == "12000.00"
    assert converted.data["referrer_contact_id"] == referrer.pk
    assert DomainEvent.objects.filter(type="referral.qualified").count() == 1
    kinds = set(Activity.objects.filter(contact=referrer).values_list("kind", flat=True))
    assert kinds == {"referral.made", "referral.qualified", "referral.converted"}


def test_jumping_straight_to_won_pays_the_skipped_stages_too(link, referrer):
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="won")
    assert balance_get(contact=referrer).spendable == 2500
    assert DomainEvent.objects.filter(type="referral.qualified").count() == 1


def test_friend_who_is_a_contact_gets_points(db, program):
    from ovation.referrals.models import ReferralRewardRule

    ReferralRewardRule.objects.filter(program=program, recipient="friend").update(points=300)
    link = LinkFactory(program=program)
    r = submit(link, email="friend@friendco.test")
    friend = ContactFactory(email="friend@friendco.test", account__domain="friendco.test")
    services.referral_transition(referral_id=r.pk, to_status="won")
    r.refresh_from_db()
    assert r.referee_contact_id == friend.pk and r.referee_account_id == friend.account_id
    assert balance_get(contact=friend).spendable == 300


def test_friend_reward_note_is_emailed(link, django_capture_on_commit_callbacks):
    from django.core import mail

    r = submit(link)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_transition(referral_id=r.pk, to_status="won")
    rewards = [m for m in mail.outbox if "FRIEND20" in m.body]
    assert [m.to for m in rewards] == [["sam@northwind.test"]]
    assert rewards[0].subject == "Your reward from Customers refer a peer"


def test_flagged_lead_pays_nothing_until_approved(link, referrer, manager):
    r = submit(link, email="colleague@acme-corp.test")  # same domain: flagged
    services.referral_transition(referral_id=r.pk, to_status="won")
    assert balance_get(contact=referrer).spendable == 0
    assert ReferralReward.objects.count() == 0
    assert "Rewards are paid once it is approved" in selectors.referral_reason_for_referrer(
        Referral.objects.get(pk=r.pk)
    )

    services.referral_review(referral_id=r.pk, approve=True, actor=manager)
    assert balance_get(contact=referrer).spendable == 2500
    with pytest.raises(Conflict):
        services.referral_review(referral_id=r.pk, approve=True, actor=manager)
    assert balance_get(contact=referrer).spendable == 2500


def test_rejecting_a_flagged_lead_tells_the_referrer_why(link, referrer, manager):
    r = submit(link, email="colleague@acme-corp.test")
    services.referral_review(
        referral_id=r.pk, approve=False, actor=manager, note="Internal team member"
    )
    r.refresh_from_db()
    assert (r.status, r.review, r.counts) == ("disqualified", "rejected", False)
    assert selectors.referral_reason_for_referrer(r) == "Internal team member"
    assert balance_get(contact=referrer).spendable == 0


def test_disqualifying_after_payout_claws_back(link, referrer):
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="qualified")
    assert balance_get(contact=referrer).spendable == 500
    services.referral_transition(
        referral_id=r.pk, to_status="disqualified", reason="Turned out to be a student project"
    )
    assert balance_get(contact=referrer) == balance_get(contact=referrer).__class__(0, 0)
    entries = list(LedgerEntry.objects.order_by("id").values_list("kind", "amount"))
    assert entries == [("earn", 500), ("clawback", -500)]
    assert ReferralReward.objects.get().state == "clawed_back"
    r.refresh_from_db()
    assert selectors.referral_reason_for_referrer(r) == "Turned out to be a student project"
    # disqualified is final
    with pytest.raises(Conflict):
        services.referral_transition(referral_id=r.pk, to_status="won")
    assert LedgerEntry.objects.count() == 2


def test_refunded_deal_claws_back_only_the_won_reward(link, referrer):
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="won", amount=5000)
    services.referral_transition(referral_id=r.pk, to_status="lost", reason="Refunded")
    assert balance_get(contact=referrer).spendable == 500
    states = dict(ReferralReward.objects.filter(recipient="referrer").values_list("stage", "state"))
    assert states == {"qualified": "paid", "won": "clawed_back"}
    assert DomainEvent.objects.filter(type="referral.reversed").count() == 1


def test_backwards_and_unknown_moves_are_refused_without_side_effects(link):
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="opportunity")
    with pytest.raises(Conflict, match="cannot move from opportunity to lead"):
        services.referral_transition(referral_id=r.pk, to_status="lead")
    with pytest.raises(ServiceError, match="unknown status"):
        services.referral_transition(referral_id=r.pk, to_status="closed")
    with pytest.raises(ServiceError, match="amount must be a number"):
        services.referral_transition(referral_id=r.pk, to_status="won", amount="lots")
    r.refresh_from_db()
    assert r.status == "opportunity"
    assert ReferralReward.objects.filter(stage="won").count() == 0


def test_blocked_referral_cannot_move_on(link):
    r = submit(link, email="x@mailinator.com")
    with pytest.raises(Conflict):
        services.referral_transition(referral_id=r.pk, to_status="won")
    assert LedgerEntry.objects.count() == 0


def test_double_opt_in_withholds_rewards_until_confirmed(link, program, referrer):
    program.double_opt_in = True
    program.save()
    r = submit(link)
    services.referral_transition(referral_id=r.pk, to_status="qualified")
    assert balance_get(contact=referrer).spendable == 0
    services.referral_confirm(token=services.confirmation_token(r))
    assert balance_get(contact=referrer).spendable == 500


def test_pairs_selector_keeps_referrer_and_referee(link, referrer):
    r = submit(link)
    ContactFactory(email="sam@northwind.test", account__domain="northwind-co.test")
    services.referral_transition(referral_id=r.pk, to_status="won", amount=9000)
    pairs = list(selectors.referral_pairs())
    assert len(pairs) == 1
    assert pairs[0]["referrer_id"] == referrer.pk
    assert pairs[0]["referee_contact_id"] is not None
    assert pairs[0]["referee_account_id"] is not None


def test_advocate_sees_status_and_plain_reasons(client, link, referrer):
    from .factories import UserFactory

    user = UserFactory(role="advocate")
    referrer.user = user
    referrer.save()
    won = submit(link, email="a@firm-a.test", first_name="Alice")
    submit(link, email="janey@acme-corp.test", first_name="Janey")  # self: blocked
    services.referral_transition(referral_id=won.pk, to_status="won")
    client.force_login(user)
    html = client.get("/hub/refer/").content.decode()
    assert "Became a customer" in html
    assert "You can&#x27;t refer yourself." in html
    assert "Did not count" in html
    assert "2,500" in html
