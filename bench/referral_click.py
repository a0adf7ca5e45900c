"""Benchmark: the referral click path `/r/<code>` under Ovation's production server, against a
minimal Django view that does one INSERT and a 302, served the same way in the same run.

    python bench/referral_click.py            # 10 s per wrk run, 10 s paced run
    python bench/referral_click.py --quick    # 3 s runs

Both servers: gunicorn, 2 sync workers, bound to 127.0.0.1 on a free port, access log off
(as `ovation serve` runs it), SQLite in WAL mode with the same options, in a temporary
OVATION_VAR_DIR. Ovation runs `config.wsgi` with `config.settings.production` (DEBUG off,
its whole middleware stack); the baseline is a bare project (bench/referral_click_baseline).
Load: wrk (closed loop, same threads/connections for both). Then the real path is driven at
half its measured peak by a paced (open-loop) asyncio client whose latencies are measured
from each request's scheduled start, so queueing delay is not hidden.

Targets: Ovation reaches >= 80% of the baseline's req/s, and p99 < 50 ms at half peak."""

import argparse
import asyncio
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(BENCH)]
from _setup import free_port, result, server_start, server_stop  # noqa: E402

TARGET_RATIO = 0.8
TARGET_P99_MS = 50.0
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126 Safari/537.36"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


def base_env(var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        OVATION_VAR_DIR=str(var),
        SECRET_KEY=secrets.token_urlsafe(64),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), str(BENCH)]),
        LOG_LEVEL="ERROR",
    )
    return env


SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("createcachetable", verbosity=0)
from ovation.directory.models import Account, Contact
from ovation.referrals.models import ReferralProgram
from ovation.referrals.services import link_get_or_create
account = Account.objects.create(name="Bench Co", domain="bench.test")
contact = Contact.objects.create(account=account, first_name="Ben", last_name="Ch",
                                 email="ben@bench.test", stage="advocate")
program = ReferralProgram.objects.create(name="Bench", slug="bench", headline="Hi")
print(link_get_or_create(program=program, contact=contact).code)
"""

BASELINE_SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
"""


def gunicorn(app: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--access-logfile", "/dev/null", "--graceful-timeout", "5",
    ]  # fmt: skip


def check_redirect(url: str) -> str:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers={"User-Agent": UA})  # noqa: S310 - loopback
    try:
        opener.open(req, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code == 302:
            return exc.headers["Location"]
        raise
    raise RuntimeError(f"{url} did not redirect")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, seconds: int) -> dict:
    out = subprocess.run(
        [WRK, "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {UA}", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {
        pct: _ms(v, u) for pct, v, u in re.findall(r"\s(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "bad": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1) if errors else "",
    }


async def _one(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UA}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1])


async def _paced(port: int, path: str, rate: float, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    start = loop.time() + 0.2

    async def fire(i: int):
        nonlocal failures
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            status = await asyncio.wait_for(_one(port, path), timeout=10)
            if status != 302:
                failures += 1
        except (OSError, TimeoutError, ValueError, IndexError):
            failures += 1
        latencies.append((loop.time() - scheduled) * 1000)

    await asyncio.gather(*(fire(i) for i in range(total)))
    latencies.sort()
    return {
        "sent": total,
        "failures": failures,
        "p50": statistics.median(latencies),
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "achieved": total / (max(loop.time() - start, 1e-9)),
    }


def paced(port: int, path: str, rate: float, seconds: float) -> dict:
    return asyncio.run(_paced(port, path, rate, seconds))


def count_rows(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def measure(code, app_env, base_env_, seconds, procs, *, label):
    """wrk on both servers (alternating, best of 2), then the paced run on Ovation."""
    app_port, base_port = free_port(), free_port()
    app = server_start(gunicorn("config.wsgi:application", app_port), app_env, app_port)
    procs.append(app)
    base = server_start(
        gunicorn("referral_click_baseline.wsgi:application", base_port), base_env_, base_port,
        cwd=BENCH,
    )  # fmt: skip
    procs.append(base)
    app_url = f"http://127.0.0.1:{app_port}/r/{code}"
    base_url = f"http://127.0.0.1:{base_port}/r/{code}"
    location = check_redirect(app_url)
    assert location.startswith("/refer/bench/"), location
    check_redirect(base_url)
    run_wrk(app_url, 1)  # warm: imports, connections, the link cache in each worker
    run_wrk(base_url, 1)
    ov_runs, bl_runs = [], []
    for _ in range(2):  # alternate so that machine noise hits both sides alike
        bl_runs.append(run_wrk(base_url, seconds))
        ov_runs.append(run_wrk(app_url, seconds))
    ov = max(ov_runs, key=lambda r: r["rps"])
    bl = max(bl_runs, key=lambda r: r["rps"])
    for name, r in (("baseline (bare Django, 1 INSERT + 302)", bl), ("ovation /r/<code>", ov)):
        print(
            f"[{label}] {name:40s} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  "
            f"p99 {r['p99']:6.2f} ms"
            + (f"  non-3xx {r['bad']}" if r["bad"] else "")
            + (f"  socket errors: {r['errors']}" if r["errors"] else "")
        )
    print(f"[{label}] throughput ratio ovation/baseline: {ov['rps'] / bl['rps']:.3f}")
    server_stop(base)
    rate = ov["rps"] / 2
    pr = paced(app_port, f"/r/{code}", rate, seconds)
    print(
        f"[{label}] paced at half peak ({rate:.0f} req/s for {seconds} s, open loop): "
        f"p50 {pr['p50']:.2f} ms  p99 {pr['p99']:.2f} ms  failures {pr['failures']}/{pr['sent']}"
    )
    server_stop(app)
    return ov, bl, pr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs")
    parser.add_argument(
        "--no-proposed", action="store_true", help="skip the informative proposed-settings run"
    )
    parser.add_argument(
        "--split", action="store_true", help="also measure each proposed change on its own"
    )
    args = parser.parse_args()
    seconds = 3 if args.quick else 10
    var = Path(tempfile.mkdtemp(prefix="ovation-bench-click-"))
    env = base_env(var)
    app_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    base_env_ = {**env, "DJANGO_SETTINGS_MODULE": "referral_click_baseline.settings"}
    procs: list[subprocess.Popen] = []
    try:
        seed = subprocess.run(
            [sys.executable, "-c", SEED], env=app_env, cwd=ROOT, capture_output=True,
            text=True, check=True, timeout=300,
        )  # fmt: skip
        code = seed.stdout.strip().splitlines()[-1]
        subprocess.run(
            [sys.executable, "-c", BASELINE_SEED], env=base_env_, cwd=BENCH, check=True,
            timeout=120,
        )  # fmt: skip

        ov, bl, pr = measure(code, app_env, base_env_, seconds, procs, label="as configured")
        ratio = ov["rps"] / bl["rps"]
        clicks = count_rows(var / "ovation.sqlite3", "referrals_referralclick")
        print(f"clicks recorded by ovation: {clicks}")
        variants = [] if args.no_proposed else [("proposed", "1", "600")]
        if args.split:
            variants += [("fast path only", "1", "0"), ("persistent connections only", "0", "600")]
        for label, fastpath, max_age in variants:
            print(
                f"-- informative [{label}]: ClickFastPathMiddleware first={fastpath == '1'}, "
                f"CONN_MAX_AGE={max_age} (the baseline gets the same CONN_MAX_AGE)"
            )
            fast_env = {
                **app_env,
                "DJANGO_SETTINGS_MODULE": "referral_click_baseline.settings_fastpath",
                "BENCH_FASTPATH": fastpath,
                "BENCH_CONN_MAX_AGE": max_age,
            }
            measure(
                code, fast_env, {**base_env_, "BENCH_CONN_MAX_AGE": max_age}, seconds, procs,
                label=label,
            )  # fmt: skip
        ok_ratio = ratio >= TARGET_RATIO
        ok_p99 = pr["p99"] < TARGET_P99_MS and pr["failures"] == 0
        result("referral_click_rps", ov["rps"], bl["rps"], ratio, f">={TARGET_RATIO}", ok_ratio)
        result(
            "referral_click_p99_half_peak_ms",
            pr["p99"],
            TARGET_P99_MS,
            pr["p99"] / TARGET_P99_MS,
            f"<{TARGET_P99_MS:.0f}ms",
            ok_p99,
        )
        return 0 if ok_ratio and ok_p99 else 1
    finally:
        for proc in procs:
            server_stop(proc)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
