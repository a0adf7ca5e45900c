"""Fault scenarios, each against a real database in its own temporary OVATION_VAR_DIR (never the
test database, never var/): results are written up in docs/reliability.md.

1. kill -9 during a large CSV import, then the same import again: no duplicates, nothing lost.
2. SQLite with parallel writers (web threads + a task worker + an import): no "database is
   locked" reaches a user.
3. PostgreSQL restart during load: the app recovers without manual action (local cluster, root).
4. disk full on backup: tests/test_backup.py simulates it (ENOSPC); see docs/reliability.md.

Sizes: OVATION_FAULT_IMPORT_ROWS (default 20000; the write-up used 100000),
OVATION_FAULT_SECONDS (default 20)."""

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = int(os.environ.get("OVATION_FAULT_IMPORT_ROWS", "20000"))
SECONDS = float(os.environ.get("OVATION_FAULT_SECONDS", "20"))
PG_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith(("postgres://", "postgresql://"))

pytestmark = pytest.mark.slow


# --- helpers ---------------------------------------------------------------------------------


class Site:
    """A throw-away Ovation installation: a var dir and a database (SQLite file, or a fresh
    PostgreSQL database next to the one in DATABASE_URL)."""

    def __init__(self, var: Path, database_url: str):
        self.var = var
        self.database_url = database_url
        self.sqlite_path = var / "ovation.sqlite3"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "OVATION_VAR_DIR": str(var),
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "OVATION_TASKS_BACKEND": "db",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
        }
        self.env.pop("REDIS_URL", None)

    def cli(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ovation.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def scalar(self, sql: str):
        if self.database_url.startswith("sqlite"):
            conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)
            try:
                return conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                return 0
            finally:
                conn.close()
        import psycopg

        try:
            with psycopg.connect(self.database_url, connect_timeout=5) as conn:
                return conn.execute(sql).fetchone()[0]
        except psycopg.Error:
            return 0


def _pg_admin_url() -> str:
    parsed = urlparse(PG_URL)
    return parsed._replace(path="/postgres").geturl()


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path):
    if request.param == "sqlite":
        yield Site(tmp_path, f"sqlite:///{tmp_path / 'ovation.sqlite3'}")
        return
    if not ON_POSTGRES:
        pytest.skip("PostgreSQL runs only when the suite runs with DATABASE_URL=postgres://...")
    import psycopg

    name = f"ovation_fault_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608 - name built from pid/time
    url = urlparse(PG_URL)._replace(path=f"/{name}").geturl()
    yield Site(tmp_path, url)
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # nosec B608


def write_files(var: Path, rows: int) -> tuple[Path, Path]:
    accounts, contacts = var / "accounts.csv", var / "contacts.csv"
    n_accounts = max(rows // 50, 10)
    with open(accounts, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["crm_id", "name", "domain", "country"])
        for i in range(n_accounts):
            writer.writerow([f"ACC-{i:06d}", f"Company {i}", f"company{i}.example", "US"])
    with open(contacts, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["crm_id", "email", "first_name", "last_name", "title", "account_crm_id"])
        for i in range(rows):
            writer.writerow(
                [
                    f"CON-{i:07d}",
                    f"person.{i}@company{i % n_accounts}.example",
                    f"Person{i}",
                    "Ångström",
                    "Analyst",
                    f"ACC-{i % n_accounts:06d}",
                ]
            )
    return accounts, contacts


# --- 1. kill -9 during an import ----------------------------------------------------------------


def test_kill_9_during_import_then_rerun_loses_nothing_and_duplicates_nothing(site):
    assert site.cli("migrate", "--noinput").returncode == 0
    accounts, contacts = write_files(site.var, ROWS)
    done = site.cli("import", "accounts", str(accounts))
    assert done.returncode == 0, done.stdout + done.stderr

    process = site.popen("-m", "ovation.cli", "import", "contacts", str(contacts))
    deadline = time.monotonic() + 600
    count = 0
    while time.monotonic() < deadline and process.poll() is None:
        count = site.scalar("SELECT COUNT(*) FROM directory_contact")
        if count >= min(2000, ROWS // 10):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed: raise ROWS"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed_at = site.scalar("SELECT COUNT(*) FROM directory_contact")
    assert 0 < killed_at < ROWS
    if site.database_url.startswith("sqlite"):
        assert site.scalar("PRAGMA integrity_check") == "ok"

    rerun = site.cli("import", "contacts", str(contacts))
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert f"{ROWS} rows: {ROWS - killed_at} created, 0 updated, {killed_at} unchanged" in (
        rerun.stdout
    ), rerun.stdout[-500:]
    assert site.scalar("SELECT COUNT(*) FROM directory_contact") == ROWS
    assert site.scalar("SELECT COUNT(DISTINCT email) FROM directory_contact") == ROWS
    assert site.scalar("SELECT COUNT(DISTINCT crm_id) FROM directory_contact") == ROWS
    assert site.scalar("SELECT COUNT(*) FROM directory_contact WHERE account_id IS NULL") == 0
    (site.var / "result.json").write_text(json.dumps({"rows": ROWS, "killed_at": killed_at}))
    print(f"kill -9 at {killed_at}/{ROWS} contacts; re-run completed to {ROWS}, no duplicates")


# --- 2. SQLite with parallel writers -------------------------------------------------------------


def test_sqlite_parallel_web_worker_and_import_never_surface_database_is_locked(tmp_path):
    site = Site(tmp_path, f"sqlite:///{tmp_path / 'ovation.sqlite3'}")
    assert site.cli("migrate", "--noinput").returncode == 0
    accounts, contacts = write_files(tmp_path, 5000)
    assert site.cli("import", "accounts", str(accounts)).returncode == 0
    state = tmp_path / "writer.json"
    prepared = site.popen(
        "tests/reliability/writer.py", "--prepare", "--seconds", "0", "--state", str(state)
    )
    assert prepared.wait(timeout=300) == 0, prepared.stderr.read()

    web = site.popen(
        "tests/reliability/writer.py", "--seconds", str(SECONDS), "--threads", "4",
        "--state", str(state),
    )  # fmt: skip
    worker = site.popen("-m", "ovation.cli", "db_worker", "--no-reload", "--no-startup-delay")
    time.sleep(1)
    importer = site.cli("import", "contacts", str(contacts), timeout=600)
    web_out, web_err = web.communicate(timeout=SECONDS + 300)
    worker.send_signal(signal.SIGTERM)
    try:
        worker_out, worker_err = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker_out, worker_err = worker.communicate()

    report = json.loads(web_out.strip().splitlines()[-1])
    everything = web_out + web_err + importer.stdout + importer.stderr + worker_out + worker_err
    assert "database is locked" not in everything, everything[-3000:]
    assert importer.returncode == 0, importer.stdout[-1000:] + importer.stderr[-1000:]
    assert "5000 rows: 5000 created" in importer.stdout
    assert report["errors"] == {}, report
    assert set(report["statuses"]) <= {"200", "201"}, report
    total = sum(report["statuses"].values())
    assert total > 50
    assert site.scalar("SELECT COUNT(*) FROM ledger_ledgerentry") == report["credited"]
    (tmp_path / "summary.json").write_text(json.dumps(report))
    print(f"parallel writers: {total} web requests {report['statuses']}, import 5000 rows")


# --- 3. PostgreSQL restart during load --------------------------------------------------------


def _local_cluster() -> tuple[str, str] | None:
    if not ON_POSTGRES or urlparse(PG_URL).hostname not in ("127.0.0.1", "localhost"):
        return None
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return None
    versions = sorted(Path("/etc/postgresql").glob("*/main"))
    return (versions[-1].parent.name, "main") if versions else None


def _pg_ready() -> bool:
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False
        ).returncode
        == 0
    )


def test_postgresql_restart_during_load_recovers_without_manual_action(site):
    if not site.database_url.startswith("postgres"):
        pytest.skip("a PostgreSQL scenario")
    cluster = _local_cluster()
    if cluster is None:
        pytest.skip("needs a local PostgreSQL cluster managed by pg_ctlcluster, as root")
    version, name = cluster
    assert site.cli("migrate", "--noinput").returncode == 0
    state = site.var / "writer.json"
    prepared = site.popen(
        "tests/reliability/writer.py", "--prepare", "--seconds", "0", "--state", str(state)
    )
    assert prepared.wait(timeout=300) == 0, prepared.stderr.read()
    seconds = max(SECONDS, 20)
    web = site.popen(
        "tests/reliability/writer.py", "--seconds", str(seconds), "--threads", "4",
        "--state", str(state),
    )  # fmt: skip
    try:
        time.sleep(seconds / 3)
        restarted_at = seconds / 3
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
            check=True,
            timeout=120,
        )
        out, err = web.communicate(timeout=seconds + 300)
    finally:
        if not _pg_ready():
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"],
                check=False,
                timeout=120,
            )
    assert _pg_ready()
    report = json.loads(out.strip().splitlines()[-1])
    per_second = {int(k): v for k, v in report["per_second"].items()}
    last = int(seconds) - 1
    # Succeeding again within a few seconds of the restart, and until the end, with no
    # restart of the app: requests after the outage succeed.
    recovered = [s for s in range(int(restarted_at) + 1, last) if per_second.get(s, 0) > 0]
    assert recovered, report
    assert all(per_second.get(s, 0) > 0 for s in range(min(recovered), last)), report
    statuses = {int(k) for k in report["statuses"]}
    assert statuses <= {200, 201, 500, 503}, report  # failures during the outage are answers
    (site.var / "summary.json").write_text(json.dumps(report))
    print(f"postgres restart: {report['statuses']}; recovered at second {min(recovered)}")


# --- 4. disk full on backup (a real, tiny tmpfs) -------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs: needs root and mount rights (skipped otherwise; tests/test_backup.py
    keeps the simulated ENOSPC case for everyone)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)


def test_backup_to_a_full_disk_fails_clearly_and_leaves_nothing(site, tiny_disk):
    assert site.cli("migrate", "--noinput").returncode == 0
    target = tiny_disk / "ovation.backup"
    done = site.cli("backup", str(target))
    assert done.returncode != 0
    message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.stdout
    assert "failed" in message and ("disk is full" in message or "No space left" in message), (
        message
    )
    assert sorted(p.name for p in tiny_disk.iterdir()) == [], "a partial backup was left behind"
    print(f"disk full: {message}")
