"""Load test: the advocate hub, staff pages and `/r/<code>` together, against the production
server, with zero 5xx and zero lost writes as the bar.

    python bench/load_mixed.py                     # 300 s of load on SQLite
    python bench/load_mixed.py --quick             # 20 s
    python bench/load_mixed.py --database-url postgres://postgres@127.0.0.1:5432/test

Set-up (in a temporary OVATION_VAR_DIR; never var/): migrate, collectstatic, `ovation demo`
(small), then a dedicated referral link, a manager session and an advocate session. On
PostgreSQL a fresh database `ovation_load_<pid>` is created next to the given one and dropped
afterwards. The app runs as `ovation serve` runs it: gunicorn, 2 sync workers, production
settings, 127.0.0.1 on a free port. The load generator is bounded: a fixed number of threads,
each a closed loop over one keep-alive http.client connection (loopback only), for
`--duration` seconds: half the requests are clicks on `/r/<code>`, a quarter hub pages as
the advocate, a quarter staff pages as the manager.

Checks: no 5xx, hub/staff pages answer 200 (not a redirect to a login page), and the clicks
stored for the link equal the 302s the load tool received (lost writes = 0).
Every process started here is stopped by its PID (process group) at the end."""

import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(BENCH)]
from _setup import free_port, result, server_start, server_stop  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126 Safari/537.36"
HUB_PAGES = ["/hub/", "/hub/challenges/", "/hub/rewards/", "/hub/leaderboard/", "/hub/profile/"]
STAFF_PAGES = ["/", "/contacts/", "/accounts/", "/pulse/", "/referrals/", "/ledger/"]

SEED = r"""
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from ovation.directory.models import Account, Contact
from ovation.referrals.models import ReferralProgram
from ovation.referrals.services import link_get_or_create
from ovation.users.models import User

def session_for(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return s.session_key

manager = User.objects.filter(role="manager").first() or User.objects.create_user(
    "load-manager@acme.test", role="manager")
advocate = Contact.objects.filter(user__isnull=False, user__role="advocate", is_active=True).first()
if advocate is None:
    account = Account.objects.create(name="Load Co", domain="load.test")
    advocate = Contact.objects.create(account=account, first_name="Lo", last_name="Ad",
                                      email="advocate@load.test", stage="advocate")
    advocate.user = User.objects.create_user("advocate@load.test", role="advocate")
    advocate.save(update_fields=["user"])
account = Account.objects.create(name="Load Click Co", domain="loadclick.test")
contact = Contact.objects.create(account=account, first_name="Click", last_name="Er",
                                 email="clicker@loadclick.test", stage="advocate")
program = ReferralProgram.objects.create(name="Load test", slug="load-test", headline="Hi")
link = link_get_or_create(program=program, contact=contact)
print(json.dumps({"code": link.code, "link_id": link.pk,
                  "staff": session_for(manager), "advocate": session_for(advocate.user),
                  "cookie": settings.SESSION_COOKIE_NAME}))
"""

COUNT = r"""
import django, sys
django.setup()
from ovation.referrals.models import ReferralClick
print(ReferralClick.objects.filter(link_id=int(sys.argv[1])).count())
"""


def run(env: dict, *args: str, timeout: float = 1800) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def start_server(env: dict, port: int) -> subprocess.Popen:
    return server_start(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--access-logfile", "/dev/null", "--graceful-timeout", "5", "--timeout", "60"],
        env, port,
    )  # fmt: skip


class Load:
    """Closed-loop threads over keep-alive connections; counts every answer by kind."""

    def __init__(self, port: int, seed: dict, threads: int, seconds: float):
        self.port, self.seed, self.threads, self.seconds = port, seed, threads, seconds
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.clicks = 0
        self.latencies: dict[str, list[float]] = {"click": [], "hub": [], "staff": []}
        self.problems: Counter = Counter()

    def _request(self, conn, path: str, cookie: str | None):
        headers = {"User-Agent": UA, "Host": "127.0.0.1", "Connection": "keep-alive"}
        if cookie:
            headers["Cookie"] = f"{self.seed['cookie']}={cookie}"
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return (
            response.status,
            response.getheader("Location", ""),
            response.getheader("Connection", ""),
        )

    def worker(self, n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        deadline = time.monotonic() + self.seconds
        i = n
        while time.monotonic() < deadline:
            i += 1
            slot = i % 4
            if slot in (0, 2):
                kind, path, cookie = "click", f"/r/{self.seed['code']}", None
            elif slot == 1:
                kind, path, cookie = "hub", HUB_PAGES[i % len(HUB_PAGES)], self.seed["advocate"]
            else:
                kind, path, cookie = "staff", STAFF_PAGES[i % len(STAFF_PAGES)], self.seed["staff"]
            started = time.perf_counter()
            try:
                status, location, connection = self._request(conn, path, cookie)
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    self.problems[f"{kind} {type(exc).__name__}"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.counts[(kind, status)] += 1
                self.latencies[kind].append(elapsed)
                if kind == "click" and status == 302:
                    self.clicks += 1
                if kind != "click" and status != 200:
                    self.problems[f"{kind} {path} -> {status} {location}"] += 1
            if connection.lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.close()

    def run(self) -> float:
        threads = [threading.Thread(target=self.worker, args=(n,)) for n in range(self.threads)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--quick", action="store_true", help="20 s of load")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir")
    args = parser.parse_args()
    duration = 20 if args.quick else args.duration

    var = Path(tempfile.mkdtemp(prefix="ovation-load-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    # Production settings, except static files without the manifest: collectstatic with the
    # manifest storage fails today (chart.umd.min.js names a missing .map; see the report).
    (var / "load_settings.py").write_text(
        "from config.settings.production import *  # noqa: F403\n"
        "STORAGES = {**STORAGES, 'staticfiles': "  # noqa: F405
        "{'BACKEND': 'whitenoise.storage.CompressedStaticFilesStorage'}}\n"
    )
    env.update(
        DJANGO_SETTINGS_MODULE="load_settings",
        OVATION_VAR_DIR=str(var),
        SECRET_KEY=secrets.token_urlsafe(64),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        OVATION_TASKS_BACKEND="immediate",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), str(var)]),
        LOG_LEVEL="ERROR",
    )
    pg_name = ""
    admin_url = ""
    if args.database_url:
        import psycopg

        parsed = urlparse(args.database_url)
        pg_name = f"ovation_load_{os.getpid()}"
        admin_url = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')  # nosec B608 - name from our pid
        env["DATABASE_URL"] = parsed._replace(path=f"/{pg_name}").geturl()
    engine = "postgresql" if pg_name else "sqlite"
    server = None
    try:
        t0 = time.monotonic()
        run(env, "-m", "ovation.cli", "migrate", "--noinput")
        run(env, "-m", "ovation.cli", "collectstatic", "--noinput", "-v", "0")
        run(env, "-m", "ovation.cli", "demo")
        seed = json.loads(run(env, "-c", SEED).strip().splitlines()[-1])
        print(f"set-up ({engine}): {time.monotonic() - t0:.0f} s", flush=True)
        port = free_port()
        server = start_server(env, port)
        load = Load(port, seed, args.threads, duration)
        elapsed = load.run()
        server_stop(server)
        server = None
        stored = int(run(env, "-c", COUNT, str(seed["link_id"])).strip().splitlines()[-1])
    finally:
        server_stop(server)
        if pg_name:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')  # nosec B608
        if not args.keep:
            shutil.rmtree(var, ignore_errors=True)

    total = sum(load.counts.values())
    five_xx = sum(v for (kind, status), v in load.counts.items() if status >= 500)
    by_kind = {
        kind: {str(s): v for (k, s), v in sorted(load.counts.items()) if k == kind}
        for kind in ("click", "hub", "staff")
    }
    print(f"{engine}: {total} requests in {elapsed:.1f} s ({total / elapsed:.0f} req/s), "
          f"{args.threads} threads, keep-alive")  # fmt: skip
    for kind, statuses in by_kind.items():
        lat = load.latencies[kind]
        print(f"  {kind:5s} {statuses}  p50 {pct(lat, 0.5):.0f} ms  p99 {pct(lat, 0.99):.0f} ms")
    if load.problems:
        print("  problems:", dict(load.problems.most_common(10)))
    print(f"  clicks: load tool counted {load.clicks} redirects, database stored {stored}")
    lost = load.clicks - stored
    ok_pages = not any(k.startswith(("hub", "staff")) for k in load.problems)
    passed = five_xx == 0 and lost == 0 and ok_pages and not load.problems
    suffix = "" if engine == "sqlite" else "_pg"
    result(f"load_mixed_5xx{suffix}", five_xx, 0, 0.0 if five_xx == 0 else 1.0, "0", five_xx == 0)
    ratio = stored / load.clicks if load.clicks else 0.0
    result(f"load_mixed_click_integrity{suffix}", stored, load.clicks, ratio, "1.0", passed)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
