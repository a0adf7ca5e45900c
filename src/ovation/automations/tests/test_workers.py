"""Real workers: the database backend's db_worker, and RQ on the local Redis."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from ovation.activity.services import event_publish
from ovation.automations import services
from ovation.automations.models import RuleRun
from ovation.ledger.services import balance_get

from .factories import ContactFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
REDIS_URL = "redis://127.0.0.1:6379/15"


def _rule():
    rule = services.rule_create(
        name="Won",
        trigger="event",
        event_type="referral.converted",
        actions=[{"type": "award_points", "points": 200}],
    )
    return services.rule_set_enabled(rule=rule, is_enabled=True)


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_the_dispatch_once():
    from django_tasks_db.models import DBTaskResult

    with override_settings(TASKS=DB_TASKS):
        rule = _rule()
        contact = ContactFactory()
        with transaction.atomic():
            event = event_publish(type="referral.converted", contact=contact, data={})
        # One dispatch task per event (other modules may queue their own work for it too).
        dispatch = DBTaskResult.objects.filter(
            status="READY", task_path__endswith="event_dispatch_task"
        )
        assert dispatch.count() == 1
        assert balance_get(contact=contact).spendable == 0  # nothing runs before the worker
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay")
        # The same event enqueued again (a retry) fires nothing more.
        from ovation.automations.tasks import event_dispatch_task

        event_dispatch_task.enqueue(event_id=event.pk)
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay")
    assert balance_get(contact=contact).spendable == 200
    assert RuleRun.objects.get(rule=rule).status == "fired"
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def _redis():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception as exc:  # noqa: BLE001 - any connection problem means "skip"
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


@pytest.mark.django_db(transaction=True)
def test_rq_backend_runs_the_dispatch():
    client = _redis()
    client.flushdb()
    rq_settings = {
        "TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
        "RQ_QUEUES": {"default": {"URL": REDIS_URL}},
        "RQ": {"JOB_CLASS": "django_tasks_rq.Job"},
    }
    with override_settings(**rq_settings):
        import django_rq

        rule = _rule()
        contact = ContactFactory()
        with transaction.atomic():
            event_publish(type="referral.converted", contact=contact, data={})
        # The dispatch task and whatever other modules queue for the same event.
        assert django_rq.get_queue("default").count >= 1
        worker = django_rq.get_worker("default", worker_class="rq.worker.SimpleWorker")
        worker.work(burst=True)
    client.flushdb()
    assert balance_get(contact=contact).spendable == 200
    assert RuleRun.objects.get(rule=rule).status == "fired"
