"""Importing Delighted exports: bad rows are named and rejected, good rows land, re-import
changes nothing."""

import pytest

from ovation.directory.imports.base import run_import
from ovation.pulse.imports import IMPORTER
from ovation.pulse.models import FollowUp, NpsSegmentDay, Response

from .factories import ContactFactory

pytestmark = pytest.mark.django_db

DELIGHTED = (
    "Response ID,Email,Score,Comment,Created At\r\n"
    "d-1,ann@acme.test,10,Love the dashboards,2025-03-01 09:30:00 -0800\r\n"
    "d-2,bob@acme.test,11,Typo in the export,2025-03-02T10:00:00Z\r\n"
    "d-3,ann@acme.test,4,Too expensive,2025-06-01T10:00:00Z\r\n"
    "d-4,bob@acme.test,8,,1735725600\r\n"
)


@pytest.fixture
def people(account):
    return (
        ContactFactory(account=account, email="Ann@acme.test"),
        ContactFactory(account=account, email="bob@acme.test"),
    )


def test_delighted_export_with_one_out_of_range_score_rejects_exactly_that_row(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(IMPORTER, DELIGHTED.encode(), preset="delighted")
    assert [str(e) for e in result.errors] == ["row 3: score: 11 is above the maximum of 10"]
    assert (result.rows, result.created, result.rejected) == (4, 3, 1)
    assert sorted(Response.objects.values_list("external_id", "score")) == [
        ("d-1", 10),
        ("d-3", 4),
        ("d-4", 8),
    ]
    first = Response.objects.get(external_id="d-1")
    assert first.answered_at.isoformat() == "2025-03-01T17:30:00+00:00"
    assert first.reason == "Love the dashboards"
    # historical detractors open no follow-up
    assert FollowUp.objects.count() == 0
    totals = NpsSegmentDay.objects.filter(dimension="all")
    assert sum(r.responses for r in totals) == 3
    # stage: Ann's latest answer is a 4
    people[0].refresh_from_db()
    assert people[0].stage == "customer"
    again = run_import(IMPORTER, DELIGHTED.encode(), preset="delighted")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Response.objects.count() == 3


def test_unknown_email_and_bad_date_are_named(people):
    text = (
        "Response ID,Email,Score,Comment,Created At\n"
        "x-1,nobody@acme.test,9,,2025-03-01T10:00:00Z\n"
        "x-2,ann@acme.test,9,,yesterday\n"
        "x-3,ann@acme.test,9,,2999-01-01T00:00:00Z\n"
    )
    result = run_import(IMPORTER, text.encode(), preset="delighted")
    assert [str(e) for e in result.errors] == [
        "row 2: email: no contact with email 'nobody@acme.test'",
        "row 3: answered_at: 'yesterday' is not a date and time (use 2024-03-01T09:30:00Z)",
        "row 4: answered_at: '2999-01-01T00:00:00Z' is in the future",
    ]
    assert Response.objects.count() == 0


def test_generic_preset_without_ids_is_still_idempotent(people):
    text = "email,score,answered_at,improvement\nbob@acme.test,9,2025-05-05,More connectors\n"
    first = run_import(IMPORTER, text.encode(), preset="generic")
    assert (first.created, first.errors) == (1, [])
    second = run_import(IMPORTER, text.encode(), preset="generic")
    assert (second.created, second.unchanged) == (0, 1)
    assert Response.objects.get().improvement == "More connectors"
