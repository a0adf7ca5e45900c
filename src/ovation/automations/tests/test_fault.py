"""Fault test: kill -9 a real worker in the middle of a batch of webhook deliveries; after a
restart every delivery completes and none is lost (the receiver's log says so)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from ovation.automations import webhooks
from ovation.automations.models import WebhookDelivery

from .receiver import Receiver

REPO = Path(settings.BASE_DIR)
N = 40


def _worker_env():
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "ovation.automations.tests.worker_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


def _start_worker():
    return subprocess.Popen(
        [sys.executable, "-m", "ovation.cli", "worker"],
        cwd=REPO,
        env=_worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped has stopped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_scheduler_whose_parent_is_already_gone_exits_at_once():
    """The worker passes its PID; a scheduler that starts after the worker died (a kill -9
    right after the start) sees another parent and stops instead of running orphaned."""
    done = subprocess.run(
        [sys.executable, "-m", "ovation.cli", "automations", "scheduler", "--parent", "1"],
        cwd=REPO,
        env=_worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    # (A scheduler that kept running would tick every 60 s and never return: TimeoutExpired.)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "schedules:" not in done.stdout  # it stopped before its first tick


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killed_worker_loses_no_delivery(tmp_path):
    log = tmp_path / "receiver.jsonl"
    db_tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with (
        Receiver(log_path=str(log)) as receiver,
        override_settings(TASKS=db_tasks, OVATION_WEBHOOKS_ALLOW_PRIVATE=True),
    ):
        # A slow receiver, so the kill lands mid-batch.
        handler = receiver.server.RequestHandlerClass
        original = handler.do_POST

        def slow_post(self):
            time.sleep(0.05)
            original(self)

        handler.do_POST = slow_post
        endpoint, _ = webhooks.endpoint_create(url=receiver.url, event_types=["*"])
        for _ in range(N):
            webhooks.endpoint_send_test(endpoint=endpoint)
        assert WebhookDelivery.objects.filter(status="pending").count() == N

        worker = _start_worker()
        try:
            deadline = time.monotonic() + 60
            while len(receiver.requests) < N // 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            children = _children(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        # The worker's scheduler does not outlive it, even when the kill came early.
        assert children, "the worker should have started its scheduler"
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)], "an orphan scheduler kept running"
        delivered_before_restart = WebhookDelivery.objects.filter(status="delivered").count()
        assert 0 < delivered_before_restart < N, "the kill should land in the middle of the batch"

        # Restart: the sweep re-enqueues what the dead worker left (its leases expire), then
        # a worker drains the queue.
        time.sleep(2.5)  # OVATION_WEBHOOK_LEASE_SECONDS in the worker settings is 2
        with override_settings(OVATION_WEBHOOK_LEASE_SECONDS=2):
            webhooks.deliveries_run_due()
        worker = subprocess.run(
            [sys.executable, "-m", "ovation.cli", "worker", "--batch"],
            cwd=REPO,
            env=_worker_env(),
            timeout=180,
            capture_output=True,
        )
        assert worker.returncode == 0, worker.stderr[-2000:]

    expected = set(WebhookDelivery.objects.values_list("message_id", flat=True))
    received = [json.loads(line) for line in log.read_text().splitlines()]
    got = {r["headers"]["webhook-id"] for r in received if r["status"] == 200}
    assert got == expected  # every delivery arrived; none lost
    assert WebhookDelivery.objects.filter(status="delivered").count() == N
    # At least once: a message in flight at the kill may arrive twice, never more.
    counts = {}
    for r in received:
        counts[r["headers"]["webhook-id"]] = counts.get(r["headers"]["webhook-id"], 0) + 1
    assert max(counts.values()) <= 2
