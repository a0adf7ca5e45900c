"""`ovation health` and `ovation recompute`."""

import sys
import types
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone


def _health(**kwargs):
    out = StringIO()
    try:
        call_command("health", stdout=out, **kwargs)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


@pytest.mark.django_db
def test_health_is_ok_on_a_migrated_database_with_an_idle_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    code, out = _health()
    assert code == 0
    assert "database (" in out and "reachable" in out
    assert "migrations: none pending" in out
    assert "worker: keeping up (0 ready, 0 running, 0 failed, 0 successful)" in out
    assert out.strip().endswith("healthy")


@pytest.mark.django_db
def test_health_fails_when_a_due_task_waits_too_long(settings):
    from django_tasks_db.models import DBTaskResult, get_date_max

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old = timezone.now() - timedelta(minutes=30)
    row = DBTaskResult.objects.create(
        task_path="ovation.x.y",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=get_date_max(),
        priority=0,
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=old)

    code, out = _health()
    lenient_code, _ = _health(max_wait=60)

    assert code == 1
    assert "FAIL worker: 1 task(s) waiting more than 10 min" in out
    assert out.strip().endswith("UNHEALTHY")
    assert lenient_code == 0


@pytest.mark.django_db
def test_health_reports_pending_migrations(monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(
        MigrationExecutor,
        "migration_plan",
        lambda self, targets: [(types.SimpleNamespace(app_label="pulse", name="0009_x"), False)],
    )
    code, out = _health()
    assert code == 1
    assert "migrations: 1 pending (pulse.0009_x)" in out


@pytest.mark.django_db
def test_recompute_runs_each_apps_module_in_order_and_can_repeat(settings, monkeypatch):
    calls = []

    def module(name):
        mod = types.ModuleType(f"ovation.{name}.recompute")

        def run(progress=None):
            progress(f"{name} working")
            calls.append(name)
            return {"rows": len(calls)}

        mod.run = run
        monkeypatch.setitem(sys.modules, mod.__name__, mod)

    settings.OVATION_APPS = ["ovation.zeta_fake", "ovation.alpha_fake", "ovation.core"]
    module("zeta_fake")
    module("alpha_fake")
    out = StringIO()

    call_command("recompute", stdout=out)
    call_command("recompute", stdout=out)

    assert calls == ["zeta_fake", "alpha_fake", "zeta_fake", "alpha_fake"]
    text = out.getvalue()
    assert "  zeta_fake working" in text
    assert "zeta_fake: done in" in text and "rows=1" in text
    assert "Recomputed 2 module(s)." in text


@pytest.mark.django_db
def test_recompute_only_unknown_app_is_an_error(settings):
    from django.core.management.base import CommandError

    settings.OVATION_APPS = ["ovation.core"]
    with pytest.raises(CommandError, match="--only: nothing to recompute in nope"):
        call_command("recompute", only=["nope"], stdout=StringIO())
