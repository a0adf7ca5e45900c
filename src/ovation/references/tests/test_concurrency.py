"""The reference cap under real concurrency, with threads and with processes: managers pick
different requests for the same contact, whose budget has one ask left. Exactly one
pick lands; the others are refused naming the rule; the contact has one assignment more.
Runs on SQLite (writers queue) and on PostgreSQL (row lock on the contact's budget)."""

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from ovation.users.models import User

from ..budget import BudgetExceeded, ask_record
from ..models import Ask, Assignment, FatiguePolicy
from ..services import request_pick
from .factories import ContactFactory, RequestFactory

ROOT = Path(__file__).resolve().parents[4]

CHILD = r"""
import json, os, sys, time
sys.path[:0] = [os.environ["OVATION_ROOT"], os.path.join(os.environ["OVATION_ROOT"], "src")]
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
from django.conf import settings
settings.DATABASES["default"]["NAME"] = os.environ["OVATION_CHILD_DB"]
import django
django.setup()
from django.db import connection
from ovation.directory.models import Contact
from ovation.references.budget import BudgetExceeded
from ovation.references.models import ReferenceRequest
from ovation.references.services import request_pick
from ovation.users.models import User
from ovation.references import budget

# Widen the race window: the budget check answers, then the "database" is slow for 0.3 s
# before the ask is written. Without the row lock every process would pass the check.
_check = budget.ask_budget_check
def slow_check(**kwargs):
    decision = _check(**kwargs)
    time.sleep(0.3)
    return decision
budget.ask_budget_check = slow_check

req = ReferenceRequest.objects.get(pk=int(os.environ["OVATION_REQUEST"]))
contact = Contact.objects.get(pk=int(os.environ["OVATION_CONTACT"]))
actor = User.objects.get(pk=int(os.environ["OVATION_ACTOR"]))
connection.close()
time.sleep(max(0.0, float(os.environ["OVATION_START_AT"]) - time.time()))
try:
    request_pick(request=req, contact=contact, actor=actor)
    outcome = "ok"
except BudgetExceeded as exc:
    outcome = exc.rule
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
connection.close()
print(json.dumps(outcome))
"""


def _contact_with_one_slot_left():
    """At most 2 asks in the window; the contact was asked 10 days ago: one slot left."""
    FatiguePolicy.objects.update_or_create(
        activity_type="",
        defaults={"max_asks_in_window": 2, "min_days_between": 0, "max_per_account_per_quarter": 0},
    )
    contact = ContactFactory()
    ask_record(
        contact=contact,
        activity_type="call",
        channel="reference",
        at=timezone.now() - timedelta(days=10),
    )
    return contact


@pytest.mark.django_db(transaction=True)
def test_two_managers_assigning_the_last_slot_at_once():
    contact = _contact_with_one_slot_left()
    m1 = User.objects.create_user("m1@acme.test", role=User.Role.MANAGER)
    m2 = User.objects.create_user("m2@acme.test", role=User.Role.MANAGER)
    r1, r2 = RequestFactory(), RequestFactory()
    outcome = []
    barrier = threading.Barrier(2)

    def pick(req, who):
        try:
            barrier.wait()
            request_pick(request=req, contact=contact, actor=who)
            outcome.append("ok")
        except BudgetExceeded as exc:
            outcome.append(exc.rule)
        finally:
            close_old_connections()
            connection.close()

    ts = [threading.Thread(target=pick, args=a) for a in ((r1, m1), (r2, m2))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(outcome) == ["ok", "overall.max_asks_in_window"]
    assert Ask.objects.filter(contact=contact).count() == 2
    assert Assignment.objects.filter(contact=contact).count() == 1


@pytest.mark.django_db(transaction=True)
def test_four_manager_processes_picking_the_last_slot_land_exactly_one():
    contact = _contact_with_one_slot_left()
    requests = [RequestFactory() for _ in range(4)]
    managers = [
        User.objects.create_user(f"m{i}@acme.test", role=User.Role.MANAGER) for i in range(4)
    ]
    start_at = time.time() + 4
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env={
                **os.environ,
                "OVATION_ROOT": str(ROOT),
                "OVATION_CHILD_DB": settings.DATABASES["default"]["NAME"],
                "OVATION_REQUEST": str(req.pk),
                "OVATION_CONTACT": str(contact.pk),
                "OVATION_ACTOR": str(manager.pk),
                "OVATION_START_AT": str(start_at),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for req, manager in zip(requests, managers, strict=True)
    ]
    outcomes = Counter()
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err.decode()[-2000:]
        outcomes[json.loads(out.decode().strip().splitlines()[-1])] += 1

    assert outcomes == {"ok": 1, "overall.max_asks_in_window": 3}, outcomes
    assert Ask.objects.filter(contact=contact).count() == 2
    assert Assignment.objects.filter(contact=contact).count() == 1
