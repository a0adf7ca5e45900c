"""The dashboard's numbers equal an independent plain-Python computation over the same rows,
for several segments and periods; rollups maintained on write equal a full rebuild; the page
stays under a fixed query budget."""

import math
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.directory.models import Contact
from ovation.pulse import recompute, selectors, services
from ovation.pulse.models import NpsAccountMonth, NpsSegmentDay, Response
from ovation.pulse.stats import arr_band

from .factories import AccountFactory, ContactFactory, IndustryFactory, RegionFactory

pytestmark = pytest.mark.django_db


def independent_nps(scores):
    """NPS and 95% MoE the textbook way, sharing no code with ovation.pulse.stats."""
    n = len(scores)
    if n == 0:
        return None, None, 0
    prom = sum(1 for s in scores if s >= 9) / n
    det = sum(1 for s in scores if s <= 6) / n
    nps = (prom - det) * 100
    moe = 1.96 * math.sqrt((prom + det - (prom - det) ** 2) / n) * 100
    return nps, moe, n


@pytest.fixture
def world(csm):
    rng = random.Random(7)
    health, retail = IndustryFactory(name="Health"), IndustryFactory(name="Retail")
    emea, apac = RegionFactory(name="EMEA"), RegionFactory(name="APAC")
    accounts = [
        AccountFactory(industry=ind, region=reg, arr=arr, csm_owner=csm)
        for ind in (health, retail)
        for reg in (emea, apac)
        for arr in (10_000, 120_000)
    ]
    contacts = [ContactFactory(account=a) for a in accounts for _ in range(4)]
    now = timezone.now()
    # (on_commit callbacks are not run: stages come from `recompute.run()` where needed)
    for contact in contacts:
        for _ in range(rng.randint(1, 4)):
            bias = 2 if contact.account.industry == retail else 0
            services.response_record(
                contact=contact,
                score=max(0, min(10, rng.randint(3, 10) - bias)),
                answered_at=now - timedelta(days=rng.uniform(0, 400)),
                source="api",
                open_follow_up=False,
            )
    # some advocacy acts make promoters advocates
    for contact in contacts[::3]:
        activity_record(kind="review.written", contact=contact, source="test")
    return {"health": health, "retail": retail, "emea": emea, "apac": apac, "contacts": contacts}


def _rows(start, end, keep=lambda r: True):
    out = []
    for r in Response.objects.select_related("account"):
        day = timezone.localtime(r.answered_at).date()
        if start <= day <= end and keep(r):
            out.append(r.score)
    return out


SEGMENTS = [
    ("all", "", lambda w: lambda r: True),
    ("industry", "retail", lambda w: lambda r: r.account.industry_id == w["retail"].id),
    ("region", "apac", lambda w: lambda r: r.account.region_id == w["apac"].id),
    ("arr_band", "100k-250k", lambda w: lambda r: arr_band(r.account.arr) == "100k-250k"),
]


def test_dashboard_nps_and_moe_equal_an_independent_computation(world):
    checked = 0
    for period in ("30d", "90d", "q", "12m", "all"):
        for dim, value_key, keep in SEGMENTS:
            value = (
                "" if dim == "all" else value_key if dim == "arr_band" else str(world[value_key].id)
            )
            data = selectors.dashboard(period_key=period, dimension=dim, value=value)
            p = data["period"]
            nps, moe, n = independent_nps(_rows(p.start, p.end, keep(world)))
            assert data["nps"].responses == n, (period, dim)
            if n:
                assert data["nps"].nps == pytest.approx(nps), (period, dim)
                assert data["nps"].margin_of_error == pytest.approx(moe), (period, dim)
                checked += 1
            else:
                assert data["nps"].nps is None
    assert checked >= 16


def test_monthly_trend_and_person_based_equal_independent_computation(world):
    data = selectors.dashboard(period_key="12m")
    for month, result in data["monthly"]:
        scores = [
            r.score
            for r in Response.objects.all()
            if timezone.localtime(r.answered_at).date().replace(day=1) == month
        ]
        nps, moe, n = independent_nps(scores)
        assert result.responses == n, month
        if n:
            assert result.nps == pytest.approx(nps)
            assert result.margin_of_error == pytest.approx(moe)
    latest = {}
    for r in Response.objects.order_by("answered_at", "id"):
        latest[r.contact_id] = r.score
    nps, moe, n = independent_nps(list(latest.values()))
    assert (data["person"].responses, data["person"].nps) == (n, pytest.approx(nps))
    # account NPS: mean of each account's contacts' latest scores, classified
    per_account = {}
    for contact in Contact.objects.filter(id__in=latest):
        per_account.setdefault(contact.account_id, []).append(latest[contact.id])
    means = [sum(v) / len(v) for v in per_account.values()]
    a_nps, _, a_n = independent_nps([10 if m >= 9 else 7 if m >= 7 else 0 for m in means])
    assert data["account_nps"].responses == a_n
    assert data["account_nps"].nps == pytest.approx(a_nps)


def test_advocacy_rate_equals_an_independent_count_for_segments(world):
    recompute.run()
    for dim, key in (("all", None), ("industry", "retail"), ("region", "emea")):
        value = "" if key is None else str(world[key].id)
        contacts = list(Contact.objects.select_related("account"))
        if dim == "industry":
            contacts = [c for c in contacts if c.account.industry_id == world[key].id]
        if dim == "region":
            contacts = [c for c in contacts if c.account.region_id == world[key].id]
        advocates = [c for c in contacts if c.stage in ("advocate", "champion")]
        accounts = {c.account_id for c in contacts}
        adv_accounts = {c.account_id for c in advocates}
        summary = selectors.advocacy_summary(dimension=dim, value=value)
        assert summary["contacts"] == len(contacts)
        assert summary["advocates"] == len(advocates)
        assert summary["advocacy_rate"] == pytest.approx(100 * len(advocates) / len(contacts))
        assert summary["accounts"] == len(accounts)
        assert summary["account_advocacy_rate"] == pytest.approx(
            100 * len(adv_accounts) / len(accounts)
        )
    assert any(c.stage == "advocate" for c in Contact.objects.all())


def test_incremental_rollups_equal_a_full_rebuild_and_recompute_is_idempotent(world):
    def snapshot():
        return (
            sorted(
                NpsSegmentDay.objects.exclude(responses=0).values_list(
                    "dimension", "value", "day", "responses", "promoters", "detractors"
                )
            ),
            sorted(
                NpsAccountMonth.objects.exclude(responses=0).values_list(
                    "account_id", "month", "responses", "promoters", "detractors"
                )
            ),
        )

    before = snapshot()
    first = recompute.run()
    assert snapshot() == before
    second = recompute.run()
    assert second["stage_changes"] == 0 and second["histories_rewritten"] == 0
    assert first["responses"] == Response.objects.count()


def test_dashboard_page_has_a_fixed_query_budget(
    client, manager, world, django_assert_max_num_queries
):
    client.force_login(manager)
    recompute.run()
    with django_assert_max_num_queries(24):
        page = client.get("/pulse/?period=12m&seg=region:" + str(world["apac"].id))
    assert page.status_code == 200
    # more data does not add queries
    extra = AccountFactory(region=world["apac"])
    for _ in range(5):
        services.response_record(contact=ContactFactory(account=extra), score=9, source="api")
    with django_assert_max_num_queries(24):
        assert client.get("/pulse/?period=12m").status_code == 200


def test_pages_render_for_staff_and_refuse_others(client, manager, world):
    from .factories import UserFactory

    client.force_login(manager)
    for url in (
        "/pulse/",
        "/pulse/campaigns/",
        "/pulse/campaigns/new/",
        "/pulse/responses/",
        "/pulse/responses/?category=detractor&theme=pricing",
        "/pulse/follow-ups/?scope=all",
        "/pulse/definition/",
        "/pulse/untapped/",
        "/pulse/themes/?dim=industry",
        "/pulse/transitions/",
    ):
        assert client.get(url).status_code == 200, url
    csv = client.get("/pulse/untapped/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    advocate = UserFactory(role="advocate")
    client.force_login(advocate)
    assert client.get("/pulse/").status_code == 403
