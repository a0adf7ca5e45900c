import pytest

from ovation.activity.models import Activity
from ovation.directory.models import Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get, ledger_credit
from ovation.users.models import User

pytestmark = pytest.mark.django_db


def adjust(client, contact, **data):
    data.setdefault("request_key", "5f1c3a3e-8f4e-4d1e-9a53-1d2b3c4d5e6f")
    return client.post(f"/ledger/{contact.pk}/adjust/", data)


def test_manager_sees_entries_and_balance(client, manager, contact, django_assert_max_num_queries):
    for i in range(30):
        ledger_credit(contact=contact, points=10, idempotency_key=f"k{i}", actor=manager)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(f"/ledger/{contact.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="value" id="spendable">300</div>' in html
    assert "Record adjustment" in html
    assert html.count("<tr>") == 26  # header + 25 entries per page


def test_adjustment_requires_a_reason_and_changes_nothing_without_one(client, manager, contact):
    client.force_login(manager)
    response = adjust(client, contact, amount="50", reason="  ")
    assert response.status_code == 422
    assert (
        "A reason is required." in response.content.decode()
        or "This field is required." in response.content.decode()
    )
    assert not LedgerEntry.objects.exists()
    assert not Activity.objects.exists()


def test_adjustment_is_audited_with_actor_reason_and_activity(client, manager, contact):
    client.force_login(manager)
    response = adjust(client, contact, amount="120", reason="Spoke at Summit")
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.kind, entry.actor, entry.reason) == (
        120,
        "adjust",
        manager,
        "Spoke at Summit",
    )
    activity = Activity.objects.get(kind="points.adjusted")
    assert (activity.actor, activity.points, activity.data["reason"]) == (
        manager,
        120,
        "Spoke at Summit",
    )
    # A double submit of the same form posts once.
    adjust(client, contact, amount="120", reason="Spoke at Summit")
    assert LedgerEntry.objects.count() == 1
    assert balance_get(contact=contact).spendable == 120
    page = client.get(f"/ledger/{contact.pk}/").content.decode()
    assert "Spoke at Summit" in page and "Morgan" in page


def test_negative_adjustment_cannot_overdraw(client, manager, contact):
    ledger_credit(contact=contact, points=30, idempotency_key="seed")
    client.force_login(manager)
    response = adjust(client, contact, amount="-31", reason="Duplicate award")
    assert response.status_code == 409
    assert "balance is too low" in response.content.decode()
    assert balance_get(contact=contact).spendable == 30


@pytest.mark.parametrize("role", ["sales", "csm", "executive"])
def test_staff_without_adjust_points_see_but_cannot_adjust(client, contact, role):
    user = User.objects.create_user(f"{role}@acme.test", role=role)
    client.force_login(user)
    page = client.get(f"/ledger/{contact.pk}/")
    assert page.status_code == 200
    assert "Record adjustment" not in page.content.decode()
    assert adjust(client, contact, amount="10", reason="x").status_code == 403
    assert not LedgerEntry.objects.exists()


def test_an_advocate_cannot_open_anyones_ledger_page(client, contact):
    user = User.objects.create_user("me@example.com", role=User.Role.ADVOCATE)
    Contact.objects.create(email="me@example.com", user=user)
    ledger_credit(contact=contact, points=70, idempotency_key="k")
    client.force_login(user)
    assert client.get(f"/ledger/{contact.pk}/").status_code == 403
    assert client.get("/ledger/").status_code == 403
    assert adjust(client, contact, amount="10", reason="x").status_code == 403
    assert balance_get(contact=contact).spendable == 70


def test_balance_index_searches(client, manager, contact, django_assert_max_num_queries):
    ledger_credit(contact=contact, points=70, idempotency_key="k")
    other = Contact.objects.create(email="zed@example.com", first_name="Zed")
    ledger_credit(contact=other, points=5, idempotency_key="k2")
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        html = client.get("/ledger/?q=janey").content.decode()
    assert "janey@example.com" in html and "zed@example.com" not in html
