"""CSV imports: opportunity outcomes (win rate with vs without a reference) and outside asks."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.directory.imports.base import run_import

from ..budget import ask_budget_check
from ..imports import ASKS_IMPORTER, IMPORTER
from ..models import Ask, FatiguePolicy, Opportunity
from .factories import ContactFactory, OpportunityFactory, RequestFactory

pytestmark = pytest.mark.django_db


def test_opportunity_import_upserts_outcomes_and_closes_completed_requests():
    opp = OpportunityFactory(crm_id="OPP-7", amount=40000)
    req = RequestFactory(opportunity=opp, status="completed")
    csv = (
        "crm_id,name,amount,stage,outcome,won_amount\n"
        "OPP-7,Globex,40000,Closed Won,won,38000\n"
        "OPP-8,Initech,25000,Negotiation,,\n"
        "OPP-9,,10,,,\n"
        "OPP-10,Hooli,x,,,\n"
    )
    result = run_import(IMPORTER, csv.encode())
    assert (result.created, result.updated) == (1, 1)
    assert [str(e) for e in result.errors] == [
        "row 4: name: a new opportunity needs a name",
        "row 5: amount: 'x' is not a number",
    ]
    opp.refresh_from_db()
    req.refresh_from_db()
    assert (opp.outcome, opp.won_amount, req.status) == ("won", 38000, "closed")
    assert Opportunity.objects.get(crm_id="OPP-8").outcome == "open"
    again = run_import(IMPORTER, csv.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_asks_import_counts_toward_the_budget_and_is_idempotent():
    FatiguePolicy.objects.update_or_create(
        activity_type="", defaults={"max_asks_in_window": 2, "min_days_between": 0}
    )
    c = ContactFactory(email="ana@customer.test")
    day = (timezone.now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    day2 = (timezone.now() - timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    csv = (
        "contact_email,activity_type,asked_at,status,note\n"
        f"ana@customer.test,call,{day},accepted,Slack DM\n"
        f"ana@customer.test,email,{day2},,\n"
        f"nobody@x.test,call,{day},,\n"
    )
    result = run_import(ASKS_IMPORTER, csv.encode())
    assert result.created == 2
    assert [str(e) for e in result.errors] == [
        "row 4: contact_email: no contact with email 'nobody@x.test'"
    ]
    assert Ask.objects.filter(contact=c, logged_outside=True).count() == 2
    assert ask_budget_check(contact=c, activity_type="call").rule == "overall.max_asks_in_window"
    assert run_import(ASKS_IMPORTER, csv.encode()).unchanged == 2
