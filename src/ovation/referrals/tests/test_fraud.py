"""Each fraud rule, positive and negative, through `referral_submit` (what the form calls)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.directory.models import Account
from ovation.referrals import services
from ovation.referrals.models import AdvocateNetwork, Referral, ReferralReward
from ovation.referrals.tracking import email_normalize, ip_hash

from .factories import AccountFactory, ContactFactory, LinkFactory


def submit(link, email="sam@northwind.test", ip="198.51.100.1", **kw):
    return services.referral_submit(
        program=link.program,
        link=link,
        first_name=kw.pop("first_name", "Sam"),
        email=email,
        company=kw.pop("company", "Northwind"),
        consent=True,
        ip_hash=ip_hash(ip),
        **kw,
    )


def rules(referral):
    return [(f["rule"], f["severity"]) for f in referral.fraud_flags]


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Jane.Doe+promo@Example.COM", "jane.doe@example.com"),
        ("J.a.n.e+x@gmail.com", "jane@gmail.com"),
        ("jane@googlemail.com", "jane@gmail.com"),
        ("  JANE@acme.test ", "jane@acme.test"),
    ],
)
def test_email_normalisation(raw, normalized):
    assert email_normalize(raw) == normalized


def test_clean_lead_has_no_findings(link):
    r = submit(link)
    assert (r.review, r.counts, r.status, rules(r)) == ("clear", True, "lead", [])


def test_self_referral_is_blocked_including_plus_tag_and_case(link):
    r = submit(link, email="JANEY+test@Acme-Corp.test")
    assert ("self_referral", "block") in rules(r)
    assert (r.review, r.counts, r.status) == ("blocked", False, "disqualified")
    assert r.status_reason == "You can't refer yourself."


def test_self_referral_negative_a_different_person(link):
    r = submit(link, email="janet@acme-corp.test")
    assert "self_referral" not in dict(rules(r))


def test_gmail_dots_are_the_same_person(db, program):
    me = ContactFactory(email="jane.doe@gmail.com")
    link = LinkFactory(program=program, contact=me)
    assert ("self_referral", "block") in rules(submit(link, email="janedoe+x@gmail.com"))


def test_disposable_email_is_blocked(link):
    r = submit(link, email="someone@mailinator.com")
    assert ("disposable_email", "block") in rules(r)
    assert r.counts is False


def test_disposable_negative_work_domain(link):
    assert "disposable_email" not in dict(rules(submit(link, email="sam@northwind.test")))


def test_duplicate_first_valid_referral_wins(db, program, link):
    other = LinkFactory(program=program)
    first = submit(link, email="sam@northwind.test")
    second = submit(other, email="Sam+again@Northwind.test")

    assert first.counts is True and rules(first) == []
    assert ("duplicate_referral", "block") in rules(second)
    assert second.counts is False
    assert second.status_reason == "Someone else referred this person first."
    assert Referral.objects.filter(counts=True).count() == 1


def test_duplicate_negative_blocked_first_attempt_does_not_win(db, program, link):
    blocked = submit(link, email="x@mailinator.com")  # does not count
    other = LinkFactory(program=program)
    ok = submit(other, email="x@mailinator.com".replace("mailinator.com", "northwind.test"))
    assert blocked.counts is False and ok.counts is True


def test_existing_contact_gets_no_credit_by_default(link):
    ContactFactory(email="sam@northwind.test", account__domain="nw-contact.test")
    r = submit(link)
    assert ("existing_contact", "block") in rules(r)
    assert r.status_reason == "This person is already in touch with us."


def test_existing_contact_policy_review_flags_and_credit_ignores(link, program):
    ContactFactory(email="sam@northwind.test", account__domain="nw-contact.test")
    program.pipeline_policy = "review"
    program.save()
    assert ("existing_contact", "flag") in rules(submit(link))
    program.pipeline_policy = "credit"
    program.save()
    Referral.objects.all().delete()
    assert "existing_contact" not in dict(rules(submit(link)))


def test_existing_customer_and_pipeline_accounts(link):
    AccountFactory(domain="northwind.test", status=Account.Status.ACTIVE, name="Northwind")
    AccountFactory(domain="contoso.test", status=Account.Status.PROSPECT, name="Contoso")
    a = submit(link, email="sam@northwind.test")
    b = submit(link, email="kim@contoso.test")
    assert "already a customer" in a.fraud_flags[0]["reason"]
    assert "sales pipeline" in b.fraud_flags[0]["reason"]
    assert not a.counts and not b.counts


def test_existing_account_negative_churned_and_unknown(link):
    AccountFactory(domain="northwind.test", status=Account.Status.CHURNED)
    assert rules(submit(link, email="sam@northwind.test")) == []


def test_same_company_domain_is_flagged_not_blocked(link):
    r = submit(link, email="colleague@acme-corp.test")
    assert rules(r) == [("same_company_domain", "flag")]
    assert (r.review, r.counts, r.status) == ("flagged", True, "lead")


def test_same_company_domain_negative_free_mail(db, program):
    me = ContactFactory(email="me@gmail.com", account__domain="gmail.com")
    link = LinkFactory(program=program, contact=me)
    assert "same_company_domain" not in dict(rules(submit(link, email="friend@gmail.com")))


def test_same_network_as_the_referrer_hub_sessions_is_flagged(link, referrer):
    services.advocate_network_touch(contact=referrer, ip_hash=ip_hash("203.0.113.5"))
    r = submit(link, ip="203.0.113.5")
    assert rules(r) == [("same_network", "flag")]
    assert r.review == "flagged"


def test_same_network_negative_other_address(link, referrer):
    services.advocate_network_touch(contact=referrer, ip_hash=ip_hash("203.0.113.5"))
    assert rules(submit(link, ip="203.0.113.6")) == []


def test_hub_page_records_the_advocate_network(client, link, referrer):
    from .factories import UserFactory

    user = UserFactory(role="advocate")
    referrer.user = user
    referrer.save()
    client.force_login(user)
    client.get("/hub/refer/", REMOTE_ADDR="203.0.113.77")
    assert AdvocateNetwork.objects.filter(
        contact=referrer, ip_hash=ip_hash("203.0.113.77")
    ).exists()


def test_velocity_per_hour_flags_the_lead_over_the_limit(link, program):
    program.velocity_per_hour = 3
    program.save()
    results = [submit(link, email=f"p{i}@firm{i}.test") for i in range(4)]
    assert [r.review for r in results] == ["clear", "clear", "clear", "flagged"]
    assert rules(results[3]) == [("velocity", "flag")]


def test_velocity_per_day(link, program):
    program.velocity_per_day = 2
    program.save()
    old = [submit(link, email=f"p{i}@firm{i}.test") for i in range(2)]
    Referral.objects.filter(pk__in=[r.pk for r in old]).update(
        created_at=timezone.now() - timedelta(hours=5)
    )
    assert rules(submit(link, email="p9@firm9.test")) == [("velocity", "flag")]


def test_velocity_negative_old_leads_do_not_count(link, program):
    program.velocity_per_hour = 1
    program.velocity_per_day = 1
    program.save()
    old = submit(link, email="p0@firm0.test")
    Referral.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert rules(submit(link, email="p1@firm1.test")) == []


def test_reward_cap_per_year_count(link, program, referrer):
    program.reward_cap_count = 1
    program.save()
    a = submit(link, email="a@firm-a.test")
    b = submit(link, email="b@firm-b.test")
    services.referral_transition(referral_id=a.pk, to_status="qualified")
    services.referral_transition(referral_id=b.pk, to_status="qualified")
    states = list(
        ReferralReward.objects.filter(recipient="referrer")
        .order_by("id")
        .values_list("state", "reason")
    )
    assert states == [("paid", ""), ("capped", "yearly cap of 1 rewards reached")]
    from ovation.ledger.services import balance_get

    assert balance_get(contact=referrer).spendable == 500


def test_reward_cap_per_year_points_value(link, program, referrer):
    program.reward_cap_points = 700
    program.save()
    a = submit(link, email="a@firm-a.test")
    b = submit(link, email="b@firm-b.test")
    services.referral_transition(referral_id=a.pk, to_status="qualified")
    services.referral_transition(referral_id=b.pk, to_status="qualified")
    capped = ReferralReward.objects.get(referral=b, recipient="referrer")
    assert capped.state == "capped"
    assert "700 points" in capped.reason


def test_reward_cap_negative_last_years_rewards_do_not_count(link, program):
    program.reward_cap_count = 1
    program.save()
    a = submit(link, email="a@firm-a.test")
    services.referral_transition(referral_id=a.pk, to_status="qualified")
    ReferralReward.objects.update(created_at=timezone.now() - timedelta(days=400))
    b = submit(link, email="b@firm-b.test")
    services.referral_transition(referral_id=b.pk, to_status="qualified")
    assert ReferralReward.objects.get(referral=b, recipient="referrer").state == "paid"
