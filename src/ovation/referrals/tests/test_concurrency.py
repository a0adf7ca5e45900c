"""A reward is paid exactly once when stage changes race (real threads, real transactions).
Runs on SQLite (file DB, IMMEDIATE transactions) and PostgreSQL (row locks):
DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pytest src/ovation/referrals -k concurrent"""

import threading

import pytest
from django.db import OperationalError, close_old_connections, connection

from ovation.core.errors import ServiceError
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get
from ovation.referrals import services
from ovation.referrals.models import Referral, ReferralReward

from .factories import ContactFactory, LinkFactory, ProgramFactory
from .test_fraud import submit

THREADS = 8


def race(fn, n=THREADS):
    barrier = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            barrier.wait()
            fn(i)
        except (ServiceError, OperationalError) as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_stage_changes_pay_each_reward_exactly_once():
    program = ProgramFactory(slug="race")
    referrer = ContactFactory()
    link = LinkFactory(program=program, contact=referrer)
    r = submit(link, email="friend@race.test")

    statuses = ["qualified", "won", "opportunity", "won", "qualified", "won", "won", "qualified"]
    errors = race(lambda i: services.referral_transition(referral_id=r.pk, to_status=statuses[i]))

    # Some moves are refused (e.g. won -> qualified) — never paid twice.
    assert all("cannot move" in str(e) for e in errors), errors
    assert balance_get(contact=referrer).spendable == 2500
    assert LedgerEntry.objects.filter(contact=referrer).count() == 2
    assert ReferralReward.objects.filter(referral=r).count() == 3
    assert Referral.objects.get(pk=r.pk).status == "won"


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_person_count_once():
    program = ProgramFactory(slug="race2")
    links = [LinkFactory(program=program) for _ in range(THREADS)]
    race(lambda i: submit(links[i], email=f"Same.Person+{i}@target.test"))
    assert Referral.objects.count() == THREADS
    assert Referral.objects.filter(counts=True).count() == 1
