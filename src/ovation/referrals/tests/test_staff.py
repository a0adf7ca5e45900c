"""Staff pages: funnel, programs CRUD, leads list with review actions, lead detail, CSV."""

from decimal import Decimal

import pytest

from ovation.ledger.services import balance_get
from ovation.referrals import services
from ovation.referrals.models import Referral, ReferralClick, ReferralProgram

from .factories import LinkFactory, UserFactory
from .test_fraud import submit


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def test_pages_need_manage_programs(client, link):
    sales = UserFactory(role="sales")
    assert client.get("/referrals/").status_code == 302  # to login
    client.force_login(sales)
    assert client.get("/referrals/").status_code == 403
    assert (
        client.post(f"/referrals/leads/{submit(link).pk}/stage/", {"status": "won"}).status_code
        == 403
    )
    assert Referral.objects.get().status == "lead"


def test_funnel_counts_humans_once_and_rates(staff, link):
    ReferralClick.objects.bulk_create(
        [
            ReferralClick(
                link=link,
                program=link.program,
                clicked_at=link.created_at,
                ip_hash="a",
                agent="browser",
                channel="linkedin",
            )
            for _ in range(8)
        ]
        + [
            ReferralClick(
                link=link,
                program=link.program,
                clicked_at=link.created_at,
                ip_hash="b",
                agent="bot",
                is_bot=True,
            )
        ]
        + [
            ReferralClick(
                link=link,
                program=link.program,
                clicked_at=link.created_at,
                ip_hash="c",
                agent="browser",
                is_duplicate=True,
            )
        ]
    )
    a = submit(link, email="a@firm-a.test", channel="linkedin")
    b = submit(link, email="b@firm-b.test")
    services.referral_transition(referral_id=a.pk, to_status="won", amount=10000)
    services.referral_transition(referral_id=b.pk, to_status="qualified")

    response = staff.get("/referrals/")
    ctx = response.context
    total = ctx["total"]
    assert (total.clicks, total.leads, total.qualified, total.won) == (8, 2, 2, 1)
    assert total.click_to_lead == 25.0 and total.qualified_to_won == 50.0
    assert total.revenue == Decimal("10000")
    channels = dict(ctx["per_channel"])
    assert (channels["LinkedIn"].clicks, channels["LinkedIn"].leads) == (8, 1)
    assert ctx["top_referrers"][0]["name"] == "Janey Smith"
    assert b"Referral funnel" in response.content


def test_funnel_query_budget(staff, link, django_assert_max_num_queries):
    for i in range(5):
        submit(link, email=f"p{i}@firm{i}.test")
    with django_assert_max_num_queries(20):
        assert staff.get("/referrals/").status_code == 200


def test_csv_export(staff, link):
    submit(link)
    response = staff.get("/referrals/export.csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "segment,name,clicks,leads,qualified,won,revenue,lead_to_won_pct"
    assert lines[1].startswith("total,all,0,1,0,0,0,")


def test_leads_list_shows_flags_and_review_approves(
    staff, link, referrer, django_assert_max_num_queries
):
    link.program.velocity_per_hour = link.program.velocity_per_day = 100
    link.program.save()
    flagged = submit(link, email="colleague@acme-corp.test")
    for i in range(10):
        submit(link, email=f"p{i}@firm{i}.test", first_name="P")
    with django_assert_max_num_queries(12):
        html = staff.get("/referrals/leads/").content.decode()
    assert "acme-corp.test is the referrer&#x27;s own company domain" in html
    response = staff.post(
        f"/referrals/leads/{flagged.pk}/review/", {"decision": "approve", "next": "list"}
    )
    assert response.status_code == 302
    assert Referral.objects.get(pk=flagged.pk).review == "approved"
    filtered = staff.get("/referrals/leads/?review=flagged").context["page_obj"]
    assert list(filtered) == []


def test_lead_detail_and_stage_change(staff, link, referrer):
    r = submit(link)
    assert staff.get(f"/referrals/leads/{r.pk}/").status_code == 200
    staff.post(f"/referrals/leads/{r.pk}/stage/", {"status": "won", "amount": "4000"})
    assert Referral.objects.get(pk=r.pk).status == "won"
    assert balance_get(contact=referrer).spendable == 2500
    html = staff.get(f"/referrals/leads/{r.pk}/").content.decode()
    assert "Lead → <strong>won</strong>" in html
    bad = staff.post(f"/referrals/leads/{r.pk}/stage/", {"status": "qualified"}, follow=True)
    assert "cannot move from won to qualified" in bad.content.decode()


def test_program_create_sanitises_markdown_and_saves_rules(staff, db):
    response = staff.post(
        "/referrals/programs/new/",
        {
            "name": "Partners",
            "slug": "partners",
            "is_active": "on",
            "headline": "Partner up",
            "offer": "",
            "body_markdown": "**Hi** <script>alert(1)</script> [x](javascript:alert(1))",
            "share_text": "",
            "ask_company": "on",
            "attribution_window_days": "365",
            "pipeline_policy": "review",
            "velocity_per_hour": "5",
            "velocity_per_day": "20",
            "reward_cap_count": "10",
            "reward_cap_points": "10000",
            "terms": "",
            "r-qualified_referrer_points": "250",
            "r-won_referrer_points": "1000",
            "r-won_friend_note": "Free onboarding",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    p = ReferralProgram.objects.get(slug="partners")
    assert "<strong>Hi</strong>" in p.body_html
    assert "<script>" not in p.body_html and "javascript:" not in p.body_html
    assert sorted(p.reward_rules.values_list("stage", "recipient", "points", "note")) == [
        ("qualified", "referrer", 250, ""),
        ("won", "friend", 0, "Free onboarding"),
        ("won", "referrer", 1000, ""),
    ]


def test_program_window_over_18_months_is_refused(staff, program):
    response = staff.post(
        f"/referrals/programs/{program.pk}/",
        {
            "name": program.name,
            "slug": program.slug,
            "headline": "x",
            "attribution_window_days": "600",
            "pipeline_policy": "no_credit",
            "velocity_per_hour": "5",
            "velocity_per_day": "20",
            "reward_cap_count": "1",
            "reward_cap_points": "1",
        },
    )
    assert response.status_code == 400
    assert "attribution_window_days" in response.context["form"].errors
    program.refresh_from_db()
    assert program.attribution_window_days == 90


def test_program_list(staff, link):
    LinkFactory(program=link.program)
    html = staff.get("/referrals/programs/").content.decode()
    assert "Customers refer a peer" in html and "/refer/customers/" in html
