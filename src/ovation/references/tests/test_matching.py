"""Matching: every hard filter excludes a candidate (and why-not-suggested agrees); every soft
factor moves the ranking and the explanation names it; near misses show the fatigue rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.directory.models import Consent

from ..budget import ask_record, ask_respond, do_not_contact_set, why_not_suggested
from ..models import FatiguePolicy, MatchSettings
from ..pool import match
from ..services import assignment_accept, assignment_complete, request_pick
from .factories import (
    AccountFactory,
    ContactFactory,
    IndustryFactory,
    ProductFactory,
    RegionFactory,
    RequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy():
    FatiguePolicy.objects.update_or_create(
        activity_type="",
        defaults={
            "window_days": 90,
            "max_asks_in_window": 2,
            "min_days_between": 0,
            "max_per_account_per_quarter": 0,
            "decline_cooldown_days": 30,
            "renewal_quiet_days": 30,
        },
    )


def only_weight(name, **extra):
    conf = MatchSettings.current()
    for f in MatchSettings.FACTORS:
        setattr(conf, f"w_{f}", 1.0 if f == name else 0.0)
    for k, v in extra.items():
        setattr(conf, f"w_{k}", v)
    conf.save()


def ranked(req):
    return [c.contact_id for c in match(req).candidates]


def by_id(result, contact):
    return next(c for c in result.candidates if c.contact_id == contact.pk)


@pytest.mark.parametrize(
    "make, rule",
    [
        (lambda: ContactFactory(is_active=False), "contact.inactive"),
        (lambda: ContactFactory(account=AccountFactory(status="churned")), "account.not_active"),
        (lambda: ContactFactory(consent=[]), "consent.reference_calls"),
        (
            lambda: ContactFactory(
                account=AccountFactory(renewal_date=timezone.localdate() + timedelta(days=5))
            ),
            "quiet.renewal",
        ),
    ],
)
def test_each_hard_filter_excludes_and_is_named(make, rule):
    good = ContactFactory()
    bad = make()
    req = RequestFactory()
    result = match(req)
    assert [c.contact_id for c in result.candidates] == [good.pk]
    assert result.excluded[rule] == 1
    assert why_not_suggested(contact=bad, request=req).rule == rule


def test_do_not_contact_date_and_case_study_consent():
    good = ContactFactory()
    quiet = ContactFactory()
    do_not_contact_set(contact=quiet, until=timezone.localdate() + timedelta(days=3))
    calls_only = ContactFactory(consent=["reference_calls"])
    req = RequestFactory(activity_type="case_study")
    result = match(req)
    assert [c.contact_id for c in result.candidates] == [good.pk]
    assert result.excluded == {"quiet.do_not_contact": 1, "consent.case_study": 1}
    assert why_not_suggested(contact=calls_only, request=req).rule == "consent.case_study"


def test_fatigue_blocked_contacts_are_near_misses_with_the_rule():
    tired = ContactFactory()
    fresh = ContactFactory()
    for d in (50, 20):
        ask_record(
            contact=tired,
            activity_type="call",
            channel="reference",
            at=timezone.now() - timedelta(days=d),
        )
    result = match(RequestFactory())
    assert [c.contact_id for c in result.candidates] == [fresh.pk]
    assert [(c.contact_id, c.rule) for c in result.near_misses] == [
        (tired.pk, "overall.max_asks_in_window")
    ]
    assert result.near_misses[0].reason == (
        "asked 2 times in the last 90 days; the limit is 2 (all asks)"
    )


def test_industry_moves_the_ranking():
    only_weight("industry")
    other = ContactFactory(account=AccountFactory(industry=IndustryFactory(name="Retail")))
    same = ContactFactory()
    req = RequestFactory()
    assert ranked(req) == [same.pk, other.pk]
    assert "same industry (Healthcare)" in by_id(match(req), same).explanation


def test_region_and_country_move_the_ranking():
    only_weight("region")
    far = ContactFactory(
        account=AccountFactory(region=RegionFactory(name="APAC"), country="JP"),
        timezone="Asia/Tokyo",
    )
    region = ContactFactory(account=AccountFactory(country="FR"), timezone="Europe/Paris")
    country = ContactFactory()
    req = RequestFactory()
    assert ranked(req) == [country.pk, region.pk, far.pk]
    res = match(req)
    assert "same country (DE)" in by_id(res, country).explanation
    assert "same region (EMEA)" in by_id(res, region).explanation


def test_company_size_moves_the_ranking():
    only_weight("size")
    small = ContactFactory(account=AccountFactory(employee_band="1-50"))
    close = ContactFactory(account=AccountFactory(employee_band="1001-5000"))
    same = ContactFactory()
    req = RequestFactory()
    assert ranked(req) == [same.pk, close.pk, small.pk]
    assert "same company size (201-1,000)" in by_id(match(req), same).explanation


def test_products_move_the_ranking():
    only_weight("products")
    p1, p2, p3 = (ProductFactory(name=n) for n in ("Dashboards", "Forecast", "Pipelines"))
    two = ContactFactory()
    two.account.products.set([p1, p2])
    one = ContactFactory()
    one.account.products.set([p3])
    req = RequestFactory()
    req.products.set([p1, p2, p3])
    assert ranked(req) == [two.pk, one.pk]
    assert "2 of 3 products" in by_id(match(req), two).explanation


def test_use_case_text_moves_the_ranking():
    only_weight("text")
    topical = ContactFactory()
    plain = ContactFactory()
    ask_record(
        contact=topical,
        activity_type="call",
        channel="manual",
        logged_outside=True,
        note="Spoke about replacing spreadsheets with rolling revenue forecasting",
        at=timezone.now() - timedelta(days=200),
    )
    ask_record(
        contact=plain,
        activity_type="call",
        channel="manual",
        logged_outside=True,
        note="Talked about onboarding",
        at=timezone.now() - timedelta(days=200),
    )
    req = RequestFactory(use_case="They want revenue forecasting instead of spreadsheets")
    assert ranked(req) == [topical.pk, plain.pk]
    expl = by_id(match(req), topical).explanation
    assert "use case overlaps (" in expl and "forecast" in expl


def test_seniority_moves_the_ranking():
    only_weight("seniority")
    ic = ContactFactory(seniority="ic")
    vp = ContactFactory(seniority="vp")
    req = RequestFactory(seniority="vp")
    assert ranked(req) == [vp.pk, ic.pk]
    assert "peer seniority (VP)" in by_id(match(req), vp).explanation


def test_recency_of_last_ask_moves_the_ranking():
    only_weight("recency")
    recent = ContactFactory()
    old = ContactFactory()
    ask_record(
        contact=recent,
        activity_type="call",
        channel="reference",
        at=timezone.now() - timedelta(days=20),
    )
    ask_record(
        contact=old,
        activity_type="call",
        channel="reference",
        at=timezone.now() - timedelta(days=142),
    )
    req = RequestFactory()
    assert ranked(req) == [old.pk, recent.pk]
    assert "last asked 142 days ago" in by_id(match(req), old).explanation


def test_acceptance_rate_moves_the_ranking():
    only_weight("acceptance")
    yes = ContactFactory()
    no = ContactFactory()
    for contact, status in ((yes, "accepted"), (no, "declined")):
        ask = ask_record(
            contact=contact,
            activity_type="call",
            channel="reference",
            at=timezone.now() - timedelta(days=80),
        )
        ask_respond(ask=ask, status=status)
    req = RequestFactory()
    assert ranked(req) == [yes.pk, no.pk]
    assert "accepted 1/1 past requests" in by_id(match(req), yes).explanation


def test_sales_rating_and_load_move_the_ranking():
    only_weight("rating")
    rep = UserFactory()
    good, poor, busy = ContactFactory(), ContactFactory(), ContactFactory()
    for contact, rating in ((good, 5), (poor, 2)):
        old = RequestFactory()
        a = request_pick(request=old, contact=contact, actor=rep)
        assignment_accept(assignment=a, slots=[timezone.now() + timedelta(days=1)])
        assignment_complete(assignment=a, held=True, rating=rating, actor=rep)
    FatiguePolicy.objects.filter(activity_type="").update(max_asks_in_window=5)
    req = RequestFactory()
    order = ranked(req)
    assert order.index(good.pk) < order.index(poor.pk)
    assert "sales rating 5.0/5" in by_id(match(req), good).explanation
    only_weight("load")
    request_pick(request=RequestFactory(), contact=busy, actor=rep)
    req2 = RequestFactory()
    order = ranked(req2)
    assert order[-1] == busy.pk
    assert "1 open request" in by_id(match(req2), busy).explanation


def test_request_pick_is_refused_over_budget_and_writes_nothing():
    contact = ContactFactory()
    for d in (30, 10):
        ask_record(
            contact=contact,
            activity_type="call",
            channel="reference",
            at=timezone.now() - timedelta(days=d),
        )
    req = RequestFactory()
    from ..budget import BudgetExceeded

    with pytest.raises(BudgetExceeded):
        request_pick(request=req, contact=contact, actor=req.requester)
    assert req.assignments.count() == 0
    assert contact.asks.count() == 2


def test_consent_withdrawn_after_cache_build_is_respected():
    c = ContactFactory()
    req = RequestFactory()
    assert ranked(req) == [c.pk]
    Consent.objects.create(
        contact=c,
        purpose="reference_calls",
        is_granted=False,
        source="hub",
        recorded_at=timezone.now(),
    )
    assert ranked(req) == []
