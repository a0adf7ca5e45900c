"""The shared ask budget: each fatigue rule and quiet period refuses an ask and names itself;
logged outside asks count; the cap holds under concurrent writers."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from ovation.directory.models import Consent

from ..budget import (
    BudgetExceeded,
    ask_budget_check,
    ask_record,
    ask_respond,
    do_not_contact_set,
    why_not_suggested,
)
from ..models import Ask, FatiguePolicy
from .factories import AccountFactory, ContactFactory, RequestFactory

pytestmark = pytest.mark.django_db


def policy(**kw):
    defaults = {
        "window_days": 90,
        "max_asks_in_window": 3,
        "min_days_between": 0,
        "max_per_account_per_quarter": 0,
        "decline_cooldown_days": 0,
        "renewal_quiet_days": 30,
    }
    defaults.update(kw)
    FatiguePolicy.objects.update_or_create(activity_type="", defaults=defaults)


def ago(days):
    return timezone.now() - timedelta(days=days)


def test_max_asks_in_window_refuses_the_fourth_ask_and_names_the_rule():
    policy(max_asks_in_window=3)
    c = ContactFactory()
    for d in (80, 40, 10):
        ask_record(contact=c, activity_type="call", channel="reference", at=ago(d))
    decision = ask_budget_check(contact=c, activity_type="challenge")
    assert decision.allowed is False
    assert decision.rule == "overall.max_asks_in_window"
    assert decision.reason == "asked 3 times in the last 90 days; the limit is 3 (all asks)"
    with pytest.raises(BudgetExceeded) as exc:
        ask_record(contact=c, activity_type="challenge", channel="challenge")
    assert exc.value.rule == "overall.max_asks_in_window"
    assert exc.value.status == 409
    assert Ask.objects.filter(contact=c).count() == 3


def test_asks_outside_the_window_do_not_count():
    policy(max_asks_in_window=2)
    c = ContactFactory()
    ask_record(contact=c, activity_type="call", channel="reference", at=ago(120))
    ask_record(contact=c, activity_type="call", channel="reference", at=ago(100))
    assert ask_budget_check(contact=c, activity_type="call").allowed is True


def test_min_days_between_asks():
    policy(max_asks_in_window=0, min_days_between=14)
    c = ContactFactory()
    ask_record(contact=c, activity_type="program", channel="program", at=ago(5))
    d = ask_budget_check(contact=c, activity_type="call")
    assert (d.allowed, d.rule) == (False, "overall.min_days_between")
    assert d.reason.startswith("last asked 5 days ago; at least 14 days")


def test_decline_cooldown():
    policy(max_asks_in_window=0, decline_cooldown_days=30)
    c = ContactFactory()
    ask = ask_record(contact=c, activity_type="call", channel="reference", at=ago(20))
    assert ask_budget_check(contact=c, activity_type="call").allowed is True
    ask_respond(ask=ask, status="declined")
    d = ask_budget_check(contact=c, activity_type="call")
    assert (d.allowed, d.rule) == (False, "overall.decline_cooldown")


def test_account_quarter_cap_counts_colleagues():
    policy(max_asks_in_window=0, max_per_account_per_quarter=2)
    account = AccountFactory()
    a, b, c = ContactFactory.create_batch(3, account=account)
    ask_record(contact=a, activity_type="call", channel="reference", at=ago(30))
    ask_record(contact=b, activity_type="call", channel="reference", at=ago(3))
    d = ask_budget_check(contact=c, activity_type="call")
    assert (d.allowed, d.rule) == (False, "overall.max_per_account_per_quarter")


def test_per_type_policy_only_counts_asks_of_that_type():
    policy(max_asks_in_window=10)
    FatiguePolicy.objects.create(
        activity_type="site_visit",
        window_days=365,
        max_asks_in_window=1,
        min_days_between=0,
        max_per_account_per_quarter=0,
        decline_cooldown_days=0,
    )
    c = ContactFactory()
    ask_record(contact=c, activity_type="site_visit", channel="reference", at=ago(100))
    assert ask_budget_check(contact=c, activity_type="call").allowed is True
    d = ask_budget_check(contact=c, activity_type="site_visit")
    assert (d.allowed, d.rule) == (False, "site_visit.max_asks_in_window")


def test_quiet_periods_renewal_and_do_not_contact():
    policy(renewal_quiet_days=30)
    soon = ContactFactory(
        account=AccountFactory(renewal_date=timezone.localdate() + timedelta(days=12))
    )
    d = ask_budget_check(contact=soon, activity_type="call")
    assert d.rule == "quiet.renewal" and "renews in 12 days" in d.reason
    c = ContactFactory()
    do_not_contact_set(contact=c, until=timezone.localdate() + timedelta(days=40), reason="M&A")
    d = ask_budget_check(contact=c, activity_type="call")
    assert d.rule == "quiet.do_not_contact" and "(M&A)" in d.reason


def test_outside_asks_are_always_logged_and_count():
    policy(max_asks_in_window=1)
    c = ContactFactory()
    ask_record(contact=c, activity_type="call", channel="reference", at=ago(2))
    ask = ask_record(
        contact=c,
        activity_type="email",
        channel="manual",
        logged_outside=True,
        note="Rep emailed her directly",
    )
    assert ask.logged_outside is True
    assert Ask.objects.filter(contact=c).count() == 2
    assert ask_budget_check(contact=c, activity_type="call").allowed is False


def test_why_not_suggested_names_consent_and_account_rules():
    policy()
    no_consent = ContactFactory(consent=[])
    assert why_not_suggested(contact=no_consent).rule == "consent.reference_calls"
    churned = ContactFactory(account=AccountFactory(status="churned"))
    assert why_not_suggested(contact=churned).rule == "account.not_active"
    withdrawn = ContactFactory()
    Consent.objects.create(
        contact=withdrawn,
        purpose="case_study",
        is_granted=False,
        source="hub",
        recorded_at=timezone.now(),
    )
    req = RequestFactory(activity_type="case_study")
    d = why_not_suggested(contact=withdrawn, request=req)
    assert (d.rule, d.reason) == ("consent.case_study", "consent for case study was withdrawn")
    ok = ContactFactory()
    assert why_not_suggested(contact=ok).allowed is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_asks_never_exceed_the_cap():
    policy(max_asks_in_window=3)
    c = ContactFactory()
    ask_record(contact=c, activity_type="call", channel="reference", at=ago(10))
    ask_record(contact=c, activity_type="call", channel="reference", at=ago(5))
    results = []
    barrier = threading.Barrier(6)

    def worker():
        try:
            barrier.wait()
            ask_record(contact=c, activity_type="call", channel="reference")
            results.append("ok")
        except BudgetExceeded as exc:
            results.append(exc.rule)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["overall.max_asks_in_window"] * 5
    assert Ask.objects.filter(contact=c).count() == 3
