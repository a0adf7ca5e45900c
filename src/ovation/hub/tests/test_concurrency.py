"""Real threads against the real database (run on PostgreSQL too:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pytest src/ovation/hub)."""

import threading

import pytest
from django.db import connection

from ovation.activity.models import Activity
from ovation.core.errors import Conflict
from ovation.hub import services
from ovation.hub.models import Challenge, Submission
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get

from .factories import AdvocateFactory, ChallengeFactory, StaffFactory


def run_concurrently(n: int, fn):
    """Start n threads at the same moment; returns (results, unexpected errors)."""
    barrier = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            outcome = fn(i)
            with lock:
                results.append(outcome)
        except Conflict as exc:
            with lock:
                results.append(exc)
        except Exception as exc:  # noqa: BLE001 - any other error fails the test below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_approval_credits_once():
    manager = StaffFactory()
    advocate = AdvocateFactory()
    challenge = ChallengeFactory(points=120)
    submission = services.submission_create(challenge=challenge, contact=advocate)

    results, errors = run_concurrently(
        8, lambda i: services.submission_approve(submission=submission, actor=manager)[1]
    )
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert balance_get(contact=advocate).spendable == 120
    assert balance_get(contact=advocate).lifetime == 120
    assert LedgerEntry.objects.filter(contact=advocate).count() == 1
    assert Activity.objects.filter(kind="challenge.completed", contact=advocate).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_respect_the_per_person_limit():
    advocate = AdvocateFactory()
    challenge = ChallengeFactory(per_person_limit=1, approval_mode="auto", points=30)

    results, errors = run_concurrently(
        8, lambda i: services.submission_create(challenge=challenge, contact=advocate)
    )
    assert errors == []
    created = [r for r in results if isinstance(r, Submission)]
    assert len(created) == 1 and len([r for r in results if isinstance(r, Conflict)]) == 7
    assert Submission.objects.filter(challenge=challenge).count() == 1
    assert balance_get(contact=advocate).spendable == 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_respect_the_total_limit():
    advocates = [AdvocateFactory() for _ in range(10)]
    challenge = ChallengeFactory(total_limit=3)

    results, errors = run_concurrently(
        10, lambda i: services.submission_create(challenge=challenge, contact=advocates[i])
    )
    assert errors == []
    assert len([r for r in results if isinstance(r, Submission)]) == 3
    assert Submission.objects.filter(challenge=challenge).count() == 3
    assert Challenge.objects.get(pk=challenge.pk).completions_count == 3
