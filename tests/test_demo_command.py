"""`ovation demo` as `make run` calls it (development settings, the database task queue): it
prints the logins, leaves no backlog of tasks for the worker to chew through and print once the
server starts, has already dispatched its own events, and a second run skips every app."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

COUNTS = """
import json, django
django.setup()
from django_tasks_db.models import DBTaskResult
from ovation.activity.models import Activity, DomainEvent
from ovation.directory.models import Contact
print(json.dumps({
    "queued": DBTaskResult.objects.count(),
    "undispatched": DomainEvent.objects.filter(dispatched_at__isnull=True).count(),
    "events": DomainEvent.objects.count(),
    "contacts": Contact.objects.count(),
    "levels": Activity.objects.filter(kind="level.reached").count(),
}))
"""


@pytest.mark.slow
def test_demo_loads_a_complete_company_and_leaves_the_worker_nothing_to_do(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs once, on its own SQLite file (the SQLite slow tier)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "OVATION_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ovation.sqlite3'}",
        "OVATION_TASKS_BACKEND": "db",
    }
    ovation = [sys.executable, "-m", "ovation.cli"]

    def run(*args):
        done = subprocess.run(
            [*ovation, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout

    run("migrate", "--noinput")
    out = run("demo")
    assert "Demo logins" in out and "manager@acme.test" in out
    counts = subprocess.run(
        [sys.executable, "-c", COUNTS],
        env={**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(counts.stdout.strip().splitlines()[-1])
    assert got["queued"] == 0, got
    assert got["undispatched"] == 0 and got["events"] > 1000, got
    assert got["contacts"] >= 1000 and got["levels"] > 0, got
    again = run("demo")
    assert again.count("already loaded, skipped") >= 10
