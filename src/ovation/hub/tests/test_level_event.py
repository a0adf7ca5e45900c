import pytest

from ovation.activity.models import Activity, DomainEvent
from ovation.directory.models import Contact
from ovation.hub.models import Level
from ovation.hub.services import hub_defaults_ensure
from ovation.ledger.services import ledger_credit, ledger_debit

pytestmark = pytest.mark.django_db(transaction=True)


def test_crossing_a_level_threshold_records_level_reached_once():
    hub_defaults_ensure()
    assert list(Level.objects.values_list("name", "threshold")[:2]) == [
        ("Newcomer", 0),
        ("Insider", 250),
    ]
    contact = Contact.objects.create(email="janey@example.com")

    ledger_credit(contact=contact, points=200, idempotency_key="a")
    assert not Activity.objects.filter(kind="level.reached").exists()

    ledger_credit(contact=contact, points=100, idempotency_key="b")  # 300: Insider
    ledger_debit(contact=contact, points=250, idempotency_key="c")  # spending never lowers a level
    ledger_credit(contact=contact, points=100, idempotency_key="d")  # still Insider

    reached = Activity.objects.filter(kind="level.reached", contact=contact)
    assert [a.data["level"] for a in reached] == ["Insider"]
    assert DomainEvent.objects.filter(type="level.reached", contact=contact).count() == 1
