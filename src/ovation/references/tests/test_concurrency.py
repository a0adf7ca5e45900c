"""The reference cap under real concurrency across processes: four managers' processes each
pick a different request for the same contact, whose budget has one ask left. Exactly one
pick lands; the others are refused naming the rule; the contact has one assignment more.
Runs on SQLite (writers queue) and on PostgreSQL (row lock on the contact's budget)."""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from ovation.users.models import User

from ..budget import ask_record
from ..models import Ask, Assignment, FatiguePolicy
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


@pytest.mark.django_db(transaction=True)
def test_four_manager_processes_picking_the_last_slot_land_exactly_one():
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
