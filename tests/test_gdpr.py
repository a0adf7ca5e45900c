import json
import zipfile

import pytest
from django.core.management import call_command

from ovation.activity.models import Activity, DomainEvent
from ovation.activity.services import activity_record
from ovation.directory.models import Account, Consent, Contact
from ovation.directory.services import consent_record
from ovation.ledger.services import balance_get, ledger_credit
from ovation.users.models import AuditEvent, User


@pytest.fixture
def janey(db):
    account = Account.objects.create(name="Acme Health")
    user = User.objects.create_user("janey@acmehealth.com", role=User.Role.ADVOCATE)
    contact = Contact.objects.create(
        account=account,
        email="janey@acmehealth.com",
        first_name="Janey",
        last_name="Doe",
        phone="+32 475",
        user=user,
    )
    consent_record(
        contact=contact,
        purpose="reference_calls",
        is_granted=True,
        source="hub",
        note="happy to help",
    )
    activity_record(kind="note", contact=contact, data={"summary": "Janey loves dashboards"})
    ledger_credit(
        contact=contact, points=250, idempotency_key="welcome", reason="welcome bonus for Janey"
    )
    return contact


def test_export_contains_everything_held_about_the_person(janey, tmp_path):
    out = tmp_path / "janey.zip"
    call_command("gdpr", "export", "JANEY@acmehealth.com", "-o", str(out))
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        data = json.loads(archive.read("data.json"))["data"]
        consents_csv = archive.read("consents.csv").decode()
    assert {"data.json", "contact.csv", "consents.csv", "activities.csv", "points.csv"} <= names
    assert data["contact"][0]["email"] == "janey@acmehealth.com"
    assert [c["purpose"] for c in data["consents"]] == ["reference_calls"]
    assert data["points"][0]["amount"] == 250
    assert "happy to help" in consents_csv
    assert AuditEvent.objects.filter(action="gdpr.exported", target_id=str(janey.pk)).count() == 1


def test_erase_anonymises_everywhere_and_keeps_totals(janey):
    call_command("gdpr", "erase", "janey@acmehealth.com")
    janey.refresh_from_db()
    assert (janey.first_name, janey.email, janey.phone, janey.user_id) == (
        "Erased",
        f"erased-{janey.pk}@erased.invalid",
        "",
        None,
    )
    assert not User.objects.filter(email="janey@acmehealth.com").exists()
    assert balance_get(contact=janey).spendable == 250  # report totals unchanged
    assert Consent.objects.filter(contact=janey).count() == 1  # consent history kept
    assert Consent.objects.get(contact=janey).note == ""
    assert Activity.objects.get(contact=janey, kind="note").data == {}
    assert DomainEvent.objects.filter(type="contact.erased", contact=janey).count() == 1
    assert AuditEvent.objects.filter(action="gdpr.erased", target_id=str(janey.pk)).count() == 1
