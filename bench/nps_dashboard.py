"""NPS dashboard at 1M responses over 100k contacts: the app's way (rollup tables maintained
on write / rebuilt by `ovation recompute`, read by `pulse.selectors.dashboard`) against DuckDB
computing the same aggregates from the raw rows, in the same run, on the same data.

    python bench/nps_dashboard.py            # 1M responses, 100k contacts
    python bench/nps_dashboard.py --quick    # 50k responses, 5k contacts

Aggregates compared (both sides, checked equal): NPS with counts for the last 12 months,
rolling 90 days, 18 monthly points, person-based NPS (latest answer per contact), account
NPS (mean of contacts' latest), NPS per segment value (industry, region, product, ARR band,
employees, CSM, stage) and advocacy (contacts by stage, advocate accounts) per segment.
Final line: RESULT metric=nps_dashboard ovation=<ms> baseline=<ms> ratio=<r> target=3 pass=..."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]


def setup_django(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["OVATION_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["OVATION_TASKS_BACKEND"] = "immediate"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, repeat: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


# 100 draws: 45% promoters, 33% passives, 22% detractors (a typical B2B software NPS).
SCORE_DIST = (
    [10] * 22
    + [9] * 23
    + [8] * 20
    + [7] * 13
    + [6] * 8
    + [5] * 6
    + [4] * 3
    + [3] * 2
    + [2] * 1
    + [1] * 1
    + [0] * 1
)


def generate(n_contacts: int, n_responses: int, seed: int = 1):
    """Columns as numpy arrays (vectorised: a million rows in well under a second)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_accounts = max(10, n_contacts // 10)
    now = datetime.now(UTC).replace(microsecond=0)
    acc = {
        "id": np.arange(1, n_accounts + 1),
        "industry_id": rng.integers(1, 11, n_accounts),
        "region_id": rng.integers(1, 5, n_accounts),
        "employee_band": rng.choice(
            ["1-50", "51-200", "201-1000", "1001-5000", "5001+"], n_accounts
        ),
        "arr": rng.choice([12_000, 40_000, 90_000, 150_000, 400_000], n_accounts),
        "csm_owner_id": rng.integers(1, 6, n_accounts),
        "status": rng.choice(["active", "active", "active", "at_risk", "churned"], n_accounts),
    }
    n_products = rng.integers(1, 4, n_accounts)
    ap_account = np.repeat(acc["id"], n_products)
    ap_product = np.concatenate([rng.choice(np.arange(1, 6), k, replace=False) for k in n_products])
    con = {
        "id": np.arange(1, n_contacts + 1),
        "account_id": rng.integers(1, n_accounts + 1, n_contacts),
        "stage": rng.choice(
            ["customer", "customer", "customer", "promoter", "advocate", "champion"], n_contacts
        ),
    }
    resp = {"n": n_responses}
    return acc, (ap_account, ap_product), con, resp, now


def load_app(acc, products, con, resp, now) -> dict:
    from django.db import connection, transaction

    from ovation.directory.models import Account, Contact, Industry, Product, Region
    from ovation.pulse import recompute, rollups, services
    from ovation.users.models import User

    timings = {}
    t = time.perf_counter()
    # Bulk-load settings for this throwaway database only: a big page cache (index builds on
    # random keys otherwise thrash the 2 MB default), temp B-trees in memory, no fsync, and
    # no per-row foreign-key checks (the generator only makes valid keys).
    with connection.cursor() as cursor:
        for pragma in (
            "cache_size=-262144",
            "temp_store=MEMORY",
            "synchronous=OFF",
            "foreign_keys=OFF",
        ):
            cursor.execute(f"PRAGMA {pragma}")
    with transaction.atomic():
        for model, n in ((Industry, 10), (Region, 4), (Product, 5)):
            model.objects.bulk_create(
                [
                    model(id=i, name=f"{model.__name__} {i}", slug=f"{model.__name__.lower()}-{i}")
                    for i in range(1, n + 1)
                ]  # fmt: skip
            )
        User.objects.bulk_create(
            [
                User(id=i, email=f"csm{i}@bench.test", full_name=f"CSM {i}", role="csm")
                for i in range(1, 6)
            ]  # fmt: skip
        )
        Account.objects.bulk_create(
            [
                Account(
                    id=int(acc["id"][i]),
                    name=f"Account {i}",
                    industry_id=int(acc["industry_id"][i]),
                    region_id=int(acc["region_id"][i]),
                    employee_band=str(acc["employee_band"][i]),
                    arr=int(acc["arr"][i]),
                    csm_owner_id=int(acc["csm_owner_id"][i]),
                    status=str(acc["status"][i]),
                )
                for i in range(len(acc["id"]))
            ],
            batch_size=5000,
        )
        through = Account.products.through
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {through._meta.db_table} (account_id, product_id) VALUES (%s, %s)",
                list(zip(products[0].tolist(), products[1].tolist(), strict=True)),
            )
        ts = now.isoformat(sep=" ")
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {Contact._meta.db_table} (id, account_id, first_name, last_name,"
                " email, title, seniority, persona, phone, timezone, stage, is_active,"
                " created_at, updated_at) VALUES (%s,%s,'','',%s,'','','','','',%s,1,%s,%s)",
                [
                    (cid, aid, f"c{cid}@bench.test", stage, ts, ts)
                    for cid, aid, stage in zip(
                        con["id"].tolist(),
                        con["account_id"].tolist(),
                        con["stage"].tolist(),
                        strict=True,
                    )
                ],
            )
            # One INSERT ... SELECT generates the million answers inside SQLite: a random
            # contact each (its account and stage copied, as the app does), a score drawn
            # from a realistic distribution, a time in the last 540 days.
            cursor.execute("CREATE TEMP TABLE score_dist (k INTEGER PRIMARY KEY, score INTEGER)")
            cursor.executemany(
                "INSERT INTO score_dist (k, score) VALUES (%s, %s)",
                list(enumerate(SCORE_DIST)),
            )
            cursor.execute(
                f"""
                INSERT INTO pulse_response (id, contact_id, account_id, score, contact_stage,
                    answered_at, reason, improvement, source, created_at, updated_at)
                WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq
                                          WHERE n < {int(resp["n"])}),
                -- MATERIALIZED: each random() is drawn once per row (not once per use).
                s AS MATERIALIZED (SELECT n, abs(random()) % {len(con["id"])} + 1 AS cid,
                             abs(random()) % {len(SCORE_DIST)} AS k,
                             abs(random()) % {540 * 86400} AS secs FROM seq)
                SELECT s.n, c.id, c.account_id, d.score, c.stage,
                       datetime({int(now.timestamp())} - s.secs, 'unixepoch'),
                       '', '', 'import', '{ts}', '{ts}'
                FROM s
                JOIN {Contact._meta.db_table} c ON c.id = s.cid
                JOIN score_dist d ON d.k = s.k
                """  # noqa: S608
            )
    timings["load_s"] = time.perf_counter() - t
    print(f"app: rows loaded in {timings['load_s']:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    t = time.perf_counter()
    rollups.rollup_rebuild()
    timings["rollup_rebuild_s"] = time.perf_counter() - t
    print(f"app: rollups rebuilt in {timings['rollup_rebuild_s']:.1f}s", flush=True)
    t = time.perf_counter()
    services.advocacy_snapshot_refresh(account_ids=None)
    timings["advocacy_snapshot_s"] = time.perf_counter() - t
    assert recompute  # the nightly path; stages here are given, not derived
    return timings


def app_dashboard():
    from ovation.pulse import selectors

    data = selectors.dashboard(period_key="12m")
    return {
        "period": data["nps"],
        "rolling": data["rolling"],
        "monthly": [(m, r.responses, r.promoters, r.detractors) for m, r in data["monthly"]],
        "person": data["person"],
        "account": data["account_nps"],
        "segments": {
            (row["dimension"], row["value"]): (
                row["nps"].responses,
                row["nps"].promoters,
                row["nps"].detractors,
                row["advocacy"]["advocates"] if row["advocacy"] else None,
            )
            for row in data["segments"]
        },
        "advocacy": (data["advocacy"]["contacts"], data["advocacy"]["advocates"]),
    }


def duckdb_setup(acc, products, con, resp):
    import duckdb
    import pandas as pd

    db = duckdb.connect()
    db.register("accounts", pd.DataFrame(acc))
    db.register(
        "account_products", pd.DataFrame({"account_id": products[0], "product_id": products[1]})
    )
    db.register("contacts", pd.DataFrame(con))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, contact_id, account_id, score, answered_at, contact_stage FROM pulse_response"
        )
        frame = pd.DataFrame(
            cursor.fetchall(),
            columns=["id", "contact_id", "account_id", "score", "answered_at", "contact_stage"],
        )
    frame["answered_at"] = pd.to_datetime(frame["answered_at"], format="ISO8601")  # naive UTC
    db.register("responses_raw", frame)
    db.execute(
        "CREATE TABLE responses AS SELECT *, CAST(answered_at AS DATE) AS day,"
        " (score >= 9)::INT AS p, (score BETWEEN 7 AND 8)::INT AS pa, (score <= 6)::INT AS d"
        " FROM responses_raw"
    )
    for name in ("accounts", "account_products", "contacts"):
        db.execute(f"CREATE TABLE {name}_t AS SELECT * FROM {name}")  # noqa: S608
    db.execute("SET threads TO 2")
    return db


def duckdb_dashboard(db, today):
    from ovation.pulse import stats

    start12 = stats.add_months(stats.month_start(today), -11)
    first18 = stats.add_months(stats.month_start(today), -17)
    start90 = today - timedelta(days=89)

    def counts(sql, *params):
        p, pa, d = db.execute(sql, list(params)).fetchone()
        return stats.nps_from_counts(int(p or 0), int(pa or 0), int(d or 0))

    period = counts(
        "SELECT sum(p), sum(pa), sum(d) FROM responses WHERE day >= ? AND day <= ?", start12, today
    )
    rolling = counts(
        "SELECT sum(p), sum(pa), sum(d) FROM responses WHERE day >= ? AND day <= ?", start90, today
    )
    monthly = {
        m.date() if hasattr(m, "date") else m: (n, p, d)
        for m, n, p, d in db.execute(
            "SELECT date_trunc('month', day) m, count(*), sum(p), sum(d) FROM responses"
            " WHERE day >= ? GROUP BY 1",
            [first18],
        ).fetchall()
    }
    latest = (
        "SELECT contact_id, arg_max(score, (answered_at, id)) AS score,"
        " arg_max(account_id, (answered_at, id)) AS account_id FROM responses GROUP BY contact_id"
    )
    person = counts(
        f"SELECT sum((score>=9)::INT), sum((score BETWEEN 7 AND 8)::INT), sum((score<=6)::INT) FROM ({latest})"  # noqa: S608
    )
    account = counts(
        "SELECT sum((m>=9)::INT), sum((m>=7 AND m<9)::INT), sum((m<7)::INT) FROM"  # noqa: S608
        f" (SELECT account_id, avg(score) m FROM ({latest}) GROUP BY account_id)"
    )
    band = (
        "CASE WHEN a.arr < 25000 THEN 'lt25k' WHEN a.arr < 100000 THEN '25k-100k'"
        " WHEN a.arr < 250000 THEN '100k-250k' ELSE '250k+' END"
    )
    segments = {}
    dims = {
        "industry": ("CAST(a.industry_id AS VARCHAR)", ""),
        "region": ("CAST(a.region_id AS VARCHAR)", ""),
        "employee_band": ("a.employee_band", ""),
        "csm": ("CAST(a.csm_owner_id AS VARCHAR)", ""),
        "arr_band": (band, ""),
        "product": (
            "CAST(ap.product_id AS VARCHAR)",
            " JOIN account_products_t ap ON ap.account_id = a.id",
        ),
    }
    for dim, (expr, join) in dims.items():
        for value, n, p, d in db.execute(
            f"SELECT {expr}, count(*), sum(r.p), sum(r.d) FROM responses r JOIN accounts_t a"  # noqa: S608
            f" ON a.id = r.account_id{join} WHERE r.day >= ? AND r.day <= ? GROUP BY 1",
            [start12, today],
        ).fetchall():
            segments[(dim, value)] = [n, p, d, None]
    for value, n, p, d in db.execute(
        "SELECT contact_stage, count(*), sum(p), sum(d) FROM responses WHERE day >= ? AND day <= ?"
        " GROUP BY 1",
        [start12, today],
    ).fetchall():
        segments[("stage", value)] = [n, p, d, None]
    customers = (
        "SELECT c.*, a.industry_id, a.region_id, a.employee_band, a.csm_owner_id, a.arr"
        " FROM contacts_t c JOIN accounts_t a ON a.id = c.account_id"
        " WHERE a.status IN ('active', 'onboarding', 'at_risk')"
    )
    for dim, (expr, join) in dims.items():
        expr_c = expr.replace("a.", "c.").replace("c.id", "c.account_id")
        join_c = join.replace("a.id", "c.account_id")
        for value, advocates in db.execute(
            f"SELECT {expr_c}, sum((c.stage IN ('advocate','champion'))::INT) FROM ({customers}) c{join_c}"  # noqa: S608
            " GROUP BY 1"
        ).fetchall():
            segments.setdefault((dim, value), [0, 0, 0, None])[3] = int(advocates)
    total, advocates = db.execute(
        f"SELECT count(*), sum((stage IN ('advocate','champion'))::INT) FROM ({customers})"  # noqa: S608
    ).fetchone()
    return {
        "period": period,
        "rolling": rolling,
        "monthly": monthly,
        "person": person,
        "account": account,
        "segments": {k: tuple(v) for k, v in segments.items()},
        "advocacy": (int(total), int(advocates)),
    }


def check_equal(app, duck) -> list[str]:
    problems = []
    for key in ("period", "rolling", "person", "account"):
        a, b = app[key], duck[key]
        if (a.promoters, a.passives, a.detractors) != (b.promoters, b.passives, b.detractors):
            problems.append(f"{key}: app {a} != duckdb {b}")
    for m, n, p, d in app["monthly"]:
        if n and duck["monthly"].get(m) != (n, p, d):
            problems.append(f"month {m}: app {(n, p, d)} != duckdb {duck['monthly'].get(m)}")
    for key, value in app["segments"].items():
        other = duck["segments"].get(key)
        if other is None or tuple(value[:3]) != tuple(other[:3]):
            problems.append(f"segment {key}: app {value} != duckdb {other}")
        elif value[3] is not None and value[3] != other[3]:
            problems.append(f"advocacy {key}: app {value[3]} != duckdb {other[3]}")
    if app["advocacy"] != duck["advocacy"]:
        problems.append(f"advocacy: app {app['advocacy']} != duckdb {duck['advocacy']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50k responses over 5k contacts")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n_contacts, n_responses = (5_000, 50_000) if args.quick else (100_000, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="ovation-bench-nps-") as var_dir:
        t = time.perf_counter()
        setup_django(var_dir)
        print(f"django set up and migrated in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        acc, products, con, resp, now = generate(n_contacts, n_responses)
        print(
            f"generated {n_responses:,} responses over {n_contacts:,} contacts in {time.perf_counter() - t:.1f}s"
        )
        timings = load_app(acc, products, con, resp, now)
        print(
            "app: loaded in {load_s:.1f}s, rollups rebuilt in {rollup_rebuild_s:.1f}s, "
            "advocacy snapshot in {advocacy_snapshot_s:.1f}s".format(**timings)
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        app_dashboard()  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            app_result = app_dashboard()
        app_ms, app_result = timed(app_dashboard, args.repeat)
        db = duckdb_setup(acc, products, con, resp)
        today = timezone.localdate()
        duckdb_dashboard(db, today)  # warm
        duck_ms, duck_result = timed(lambda: duckdb_dashboard(db, today), args.repeat)
        problems = check_equal(app_result, duck_result)
        for line in problems[:10]:
            print("MISMATCH", line)
        p = app_result["period"]
        print(
            f"NPS last 12 months: {p.nps:+.1f} ±{p.margin_of_error:.2f} over {p.responses:,} "
            f"responses (both engines agree: {not problems})"
        )
        print(
            f"app dashboard (rollups, {len(ctx.captured_queries)} queries): {app_ms:.1f} ms median"
        )
        slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
        for q in slowest:
            print(f"  slowest query {float(q['time']) * 1000:.1f} ms: {q['sql'][:110]}")
        print(f"duckdb on the raw rows: {duck_ms:.1f} ms median")
        ratio = app_ms / duck_ms
        ok = ratio <= 3.0 and not problems
        print(
            f"RESULT metric=nps_dashboard ovation={app_ms:.1f}ms baseline={duck_ms:.1f}ms "
            f"ratio={ratio:.2f} target=3 pass={'true' if ok else 'false'}"
        )
        connection.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
