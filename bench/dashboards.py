"""Insights dashboards at scale: every dashboard page's server time (Django test client) on a
large dataset, against the baseline of computing the same numbers by aggregate SQL over the
source tables (no rollups), measured in the same run.

Full size: 10,000 accounts, 100,000 contacts, 1,000,000 activities, 200,000 NPS answers,
500,000 referral clicks, 20,000 referrals, 20,000 hub profiles. --quick: 1/20 of that.
Data goes in with bulk SQL (executemany) into a throw-away database (bench/_setup.py)."""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup, result  # noqa: E402

TARGET_S = 1.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    django_setup()
    scale = 1 if not args.quick else 0.05
    n_accounts = int(10_000 * scale)
    n_contacts = int(100_000 * scale)
    n_activities = int(1_000_000 * scale)
    n_nps = int(200_000 * scale)
    n_clicks = int(500_000 * scale)
    n_referrals = int(20_000 * scale)

    started = time.monotonic()
    ids = build(n_accounts, n_contacts, n_activities, n_nps, n_clicks, n_referrals)
    print(
        f"data: {n_accounts:,} accounts, {n_contacts:,} contacts, {n_activities:,} activities, "
        f"{n_nps:,} NPS answers, {n_clicks:,} clicks, {n_referrals:,} referrals "
        f"in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    from ovation.insights import recompute

    t = time.monotonic()
    out = recompute.run()
    print(f"insights recompute (full rebuild of the rollups): {time.monotonic() - t:.1f} s {out}")

    pages = [
        ("home", "/"),
        ("dashboard", "/insights/"),
        ("dashboard, one industry", f"/insights/?industry={ids['industry']}"),
        (
            "dashboard, industry+region+product",
            f"/insights/?industry={ids['industry']}&region={ids['region']}&product={ids['product']}",
        ),
        (
            "dashboard, one CSM, 90 days",
            f"/insights/?csm={ids['csm']}&start={date.today() - timedelta(days=90)}",
        ),
        ("drill-down: advocate accounts", "/insights/rows/accounts/?advocate=1"),
        ("drill-down: advocates", f"/insights/rows/advocates/?industry={ids['industry']}"),
        ("drill-down: NPS answers", "/insights/rows/nps/"),
        ("drill-down: referrals", "/insights/rows/referrals/"),
        ("table CSV export", "/insights/export/value.csv"),
    ]
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from ovation.users.models import User

    user = User.objects.create_user(email="exec@bench.test", role="executive")
    client = Client()
    client.force_login(user)
    times = {}
    for label, url in pages:
        samples = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter()
                response = client.get(url, HTTP_HOST="127.0.0.1")
                samples.append(time.perf_counter() - t)
            assert response.status_code == 200, (url, response.status_code)
        times[label] = statistics.median(samples)
        print(f"  {label:<40} {times[label] * 1000:7.0f} ms  ({len(q)} queries)", flush=True)

    from ovation.insights.selectors import Filters

    baseline, rollup = {}, {}
    for label, params in (
        ("all customers", {}),
        ("one industry", {"industry": str(ids["industry"])}),
    ):
        f = Filters.from_query(params)
        baseline[label] = best_of(3, lambda f=f: baseline_numbers(f))
        rollup[label] = best_of(3, lambda f=f: rollup_numbers(f))
        print(
            f"  same numbers, {label:<14} from rollups {rollup[label] * 1000:7.1f} ms, "
            f"by aggregate SQL over the sources {baseline[label] * 1000:7.1f} ms"
        )
    worst = max(times.values())
    base = max(baseline.values())
    result(
        "dashboards_worst_page_s", worst, base, base / worst, f"<{TARGET_S:g}s", worst < TARGET_S
    )
    rolled = max(rollup.values())
    # Informational: the gain grows with the data (the scans do, the rollup reads do not).
    result(
        "dashboards_numbers_rollup_vs_scan_ms",
        rolled * 1000,
        base * 1000,
        base / rolled,
        "info",
        True,
    )
    return 0


# --- the baseline: the same headline numbers straight from the source tables --------------


def best_of(n: int, fn) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return min(samples)


def rollup_numbers(f) -> dict:
    """The numbers baseline_numbers computes, read the app's way (the insights rollups)."""
    from ovation.insights import selectors

    return {
        "advocacy": selectors.advocacy_section(f),
        "monthly": selectors.monthly_section(f),
        "value": selectors.value_section(f),
        "retention": list(
            selectors.facts(f).values_list(
                "account_id", "customer_since", "churned_on", "is_referred"
            )
        ),
    }


def baseline_numbers(f) -> dict:
    """What the dashboard would cost without rollups: NPS by month, the advocacy funnel, the
    referral funnel and the advocate value figures by aggregate SQL over the source rows."""
    from django.db.models import Count, Exists, F, OuterRef, Q, Sum
    from django.utils import timezone

    from ovation.directory.models import Account, Contact
    from ovation.hub.models import HubProfile
    from ovation.insights.rollups import _month_expr as month  # the same cheap SQL month
    from ovation.insights.selectors import account_q
    from ovation.pulse.models import Response
    from ovation.referrals.models import Referral, ReferralClick

    seg = account_q(f)
    out = {}
    out["nps"] = list(
        Response.objects.filter(seg, f.between("answered_at"))
        .annotate(m=month("answered_at"))
        .values("m")
        .annotate(
            p=Count("id", filter=Q(score__gte=9)),
            d=Count("id", filter=Q(score__lte=6)),
            n=Count("id"),
        )
    )
    contacts = Contact.objects.filter(
        account_q(f), is_active=True, account__status__in=["onboarding", "active", "at_risk"]
    )
    out["funnel"] = contacts.aggregate(
        n=Count("id"),
        adv=Count("id", filter=Q(stage__in=["advocate", "champion"])),
        champ=Count("id", filter=Q(stage="champion")),
    )
    since = timezone.now() - timedelta(days=90)
    out["hub"] = HubProfile.objects.filter(account_q(f, prefix="contact__account__")).aggregate(
        invited=Count("id", filter=Q(invited_at__isnull=False)),
        active=Count("id", filter=Q(last_seen_at__gte=since)),
    )
    out["clicks"] = list(
        ReferralClick.objects.filter(
            account_q(f, prefix="link__contact__account__"),
            f.between("clicked_at"),
            is_bot=False,
            is_duplicate=False,
        )
        .annotate(m=month("clicked_at"))
        .values("m")
        .annotate(n=Count("id"))
    )
    out["referrals"] = Referral.objects.filter(
        account_q(f, prefix="referrer__account__"), f.between("created_at"), counts=True
    ).aggregate(n=Count("id"), won=Count("id", filter=Q(status="won")), rev=Sum("deal_amount"))
    advocates = Contact.objects.filter(
        account=OuterRef("pk"), stage__in=["advocate", "champion"], is_active=True
    )
    accounts = Account.objects.filter(
        account_q(f, prefix=""), status__in=["onboarding", "active", "at_risk", "churned"]
    )
    out["value"] = list(
        accounts.annotate(adv=Exists(advocates))
        .values("adv")
        .annotate(n=Count("id"), s=Sum("arr"), sq=Sum(F("arr") * F("arr")))
    )
    out["retention"] = list(accounts.values_list("id", "customer_since", "status", "renewal_date"))
    return out


# --- data ----------------------------------------------------------------------------------


def build(n_accounts, n_contacts, n_activities, n_nps, n_clicks, n_referrals) -> dict:
    import numpy as np
    from django.db import connection, transaction

    from ovation.directory.models import Account, Industry, Product, Region
    from ovation.users.models import User

    rng = np.random.default_rng(7)
    now = datetime.now(UTC).replace(microsecond=0)
    pg = connection.vendor == "postgresql"

    def ts(dt: datetime) -> str:
        return dt.strftime("%Y-%m-%d %H:%M:%S") + ("+00:00" if pg else "")

    now64 = np.datetime64(now.replace(tzinfo=None), "s")

    def stamps(days_ago) -> list[str]:
        """Timestamps `days_ago` before now, formatted in one vectorised pass."""
        moments = now64 - (np.asarray(days_ago) * 86400).astype("timedelta64[s]")
        text = np.char.replace(np.datetime_as_string(moments, unit="s"), "T", " ")
        return (np.char.add(text, "+00:00") if pg else text).tolist()

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def insert(model, columns, rows, batch=20_000):
        sql = (
            f"INSERT INTO {table(model)} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cur:
            for start in range(0, len(rows), batch):
                cur.executemany(sql, rows[start : start + batch])

    industries = [Industry.objects.create(name=f"Industry {i}", slug=f"ind-{i}") for i in range(12)]
    regions = [Region.objects.create(name=f"Region {i}", slug=f"reg-{i}") for i in range(5)]
    products = [Product.objects.create(name=f"Product {i}", slug=f"prod-{i}") for i in range(6)]
    csms = [
        User.objects.create_user(email=f"csm{i}@bench.test", role="csm", full_name=f"CSM {i}")
        for i in range(8)
    ]
    stamp = ts(now)
    if not pg:
        # A throw-away database: no journal while loading (WAL again for the timed reads).
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode=MEMORY")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-262144")
    with transaction.atomic():
        statuses = rng.choice(
            ["active", "onboarding", "at_risk", "churned"],
            size=n_accounts,
            p=[0.78, 0.06, 0.08, 0.08],
        )
        since_days = rng.integers(30, 1500, size=n_accounts)
        rows = []
        for i in range(n_accounts):
            since = (now - timedelta(days=int(since_days[i]))).date()
            renewal = since + timedelta(days=365 * max(1, int(since_days[i]) // 365))
            rows.append(
                (
                    stamp,
                    stamp,
                    f"Account {i}",
                    "",
                    "BE",
                    "51-200",
                    float(rng.integers(5, 300) * 1000),
                    since.isoformat(),
                    renewal.isoformat(),
                    str(statuses[i]),
                    f"B-ACC-{i}",
                    csms[i % len(csms)].pk,
                    industries[i % len(industries)].pk,
                    regions[i % len(regions)].pk,
                )
            )
        insert(
            Account,
            [
                "created_at",
                "updated_at",
                "name",
                "domain",
                "country",
                "employee_band",
                "arr",
                "customer_since",
                "renewal_date",
                "status",
                "crm_id",
                "csm_owner_id",
                "industry_id",
                "region_id",
            ],
            rows,
        )
        account_ids = list(Account.objects.order_by("id").values_list("id", flat=True))
        through = Account.products.through
        insert(
            through,
            ["account_id", "product_id"],
            [(a, products[(a + k) % len(products)].pk) for a in account_ids for k in range(2)],
        )
        from ovation.directory.models import Contact

        stages = rng.choice(
            ["customer", "promoter", "advocate", "champion"],
            size=n_contacts,
            p=[0.62, 0.2, 0.13, 0.05],
        )
        acc_of = rng.integers(0, len(account_ids), size=n_contacts)
        insert(
            Contact,
            [
                "created_at",
                "updated_at",
                "first_name",
                "last_name",
                "email",
                "title",
                "seniority",
                "persona",
                "phone",
                "timezone",
                "stage",
                "is_active",
                "account_id",
            ],
            [
                (
                    stamp,
                    stamp,
                    "C",
                    f"N{i}",
                    f"c{i}@bench.test",
                    "",
                    "",
                    "",
                    "",
                    "",
                    str(stages[i]),
                    True,
                    account_ids[acc_of[i]],
                )
                for i in range(n_contacts)
            ],
        )
        contact_ids = np.array(list(Contact.objects.order_by("id").values_list("id", flat=True)))
        contact_account = np.array([account_ids[a] for a in acc_of])

        from ovation.activity.models import Activity

        who = rng.integers(0, n_contacts, size=n_activities)
        when = stamps(rng.uniform(0, 720, size=n_activities))
        who_contact = contact_ids[who].tolist()
        who_account = contact_account[who].tolist()
        kinds = ["event.attended", "review.written", "note", "hub.login", "social.shared"]
        insert(
            Activity,
            [
                "kind",
                "occurred_at",
                "points",
                "source",
                "data",
                "created_at",
                "account_id",
                "contact_id",
            ],
            [
                (kinds[i % 5], when[i], 0, "bench", "{}", stamp, who_account[i], who_contact[i])
                for i in range(n_activities)
            ],
        )
        from ovation.pulse.models import Response

        who = rng.integers(0, n_contacts, size=n_nps)
        nps_when = stamps(rng.uniform(0, 720, size=n_nps))
        scores = rng.choice(
            11, size=n_nps, p=[0.02, 0.02, 0.03, 0.03, 0.04, 0.06, 0.08, 0.12, 0.2, 0.2, 0.2]
        )
        insert(
            Response,
            [
                "score",
                "reason",
                "improvement",
                "contact_stage",
                "answered_at",
                "source",
                "created_at",
                "updated_at",
                "account_id",
                "contact_id",
            ],
            [
                (
                    int(scores[i]),
                    "",
                    "",
                    "customer",
                    nps_when[i],
                    "demo",
                    stamp,
                    stamp,
                    int(contact_account[who[i]]),
                    int(contact_ids[who[i]]),
                )
                for i in range(n_nps)
            ],
        )
        from ovation.referrals.models import Referral, ReferralClick, ReferralLink, ReferralProgram

        program = ReferralProgram.objects.create(name="Refer a peer", slug="peer", headline="Refer")
        n_links = max(10, n_contacts // 10)
        link_contacts = rng.choice(contact_ids, size=n_links, replace=False)
        insert(
            ReferralLink,
            ["code", "is_active", "created_at", "contact_id", "program_id"],
            [(f"L{i:08d}", True, stamp, int(link_contacts[i]), program.pk) for i in range(n_links)],
        )
        link_ids = list(ReferralLink.objects.order_by("id").values_list("id", flat=True))
        which = rng.integers(0, n_links, size=n_clicks)
        click_when = stamps(rng.uniform(0, 720, size=n_clicks))
        insert(
            ReferralClick,
            [
                "clicked_at",
                "ip_hash",
                "agent",
                "referer_host",
                "channel",
                "is_bot",
                "is_duplicate",
                "link_id",
                "program_id",
            ],
            [
                (
                    click_when[i],
                    "h",
                    "browser",
                    "",
                    "email",
                    False,
                    i % 17 == 0,
                    link_ids[which[i]],
                    program.pk,
                )
                for i in range(n_clicks)
            ],
        )
        referrer = rng.choice(link_contacts, size=n_referrals)
        ago = rng.uniform(0, 720, size=n_referrals)
        status = rng.choice(
            ["lead", "qualified", "won", "lost"], size=n_referrals, p=[0.5, 0.2, 0.15, 0.15]
        )
        referee_acc = rng.choice(account_ids, size=n_referrals)
        insert(
            Referral,
            [
                "created_at",
                "updated_at",
                "first_name",
                "last_name",
                "email",
                "email_normalized",
                "company",
                "phone",
                "message",
                "channel",
                "ip_hash",
                "status",
                "review",
                "fraud_flags",
                "counts",
                "stage_reached",
                "status_reason",
                "deal_amount",
                "referee_account_id",
                "won_at",
                "program_id",
                "referrer_id",
            ],
            [
                (
                    ts(now - timedelta(days=float(ago[i]))),
                    stamp,
                    "R",
                    str(i),
                    f"r{i}@x.test",
                    f"r{i}@x.test",
                    "",
                    "",
                    "",
                    "email",
                    "",
                    str(status[i]),
                    "clear",
                    "[]",
                    True,
                    "won"
                    if status[i] == "won"
                    else ("qualified" if status[i] == "qualified" else "lead"),
                    "",
                    25000 if status[i] == "won" else None,
                    int(referee_acc[i]) if status[i] == "won" else None,
                    ts(now - timedelta(days=float(ago[i]))) if status[i] == "won" else None,
                    program.pk,
                    int(referrer[i]),
                )
                for i in range(n_referrals)
            ],
        )
        from ovation.hub.models import HubProfile

        hub_contacts = rng.choice(contact_ids, size=n_contacts // 5, replace=False)
        insert(
            HubProfile,
            [
                "leaderboard_visibility",
                "email_digest",
                "notify_on_review",
                "notify_on_badge",
                "invited_at",
                "welcome_message",
                "last_seen_at",
                "contact_id",
            ],
            [
                (
                    "name",
                    "weekly",
                    True,
                    True,
                    stamp,
                    "",
                    ts(now - timedelta(days=int(i % 200))),
                    int(c),
                )
                for i, c in enumerate(hub_contacts)
            ],
        )
    if not pg:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
    return {
        "industry": industries[0].pk,
        "region": regions[0].pk,
        "product": products[0].pk,
        "csm": csms[0].pk,
    }


if __name__ == "__main__":
    sys.exit(main())
