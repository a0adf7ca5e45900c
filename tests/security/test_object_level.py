"""Object-level access: an advocate sees only themselves; sales see reference candidates only
when the contact consented (and what they see of them)."""

import json

import pytest

from ovation.directory.models import Account, Contact
from ovation.directory.services import consent_record
from ovation.users.models import User

from .conftest import make_advocate
from .permission_matrix import url_patterns

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return make_advocate("ada@customer.test")


@pytest.fixture
def bob(db):
    return make_advocate("bob@other-customer.test")


def test_no_hub_route_takes_a_contact_id():
    """Hub views work on request.contact; an id in a hub URL only ever names an object that
    is then looked up within the signed-in advocate's own data."""
    hub = [r.path for r in url_patterns() if r.path.startswith("/hub/")]
    assert hub
    assert [p for p in hub if "contact" in p] == []


def test_advocate_cannot_open_another_advocates_redemption(client, ada, bob):
    from ovation.rewards.models import Redemption, Reward

    reward = Reward.objects.create(name="Mug", cost=10, kind="swag")
    mine = Redemption.objects.create(reward=reward, contact=ada, points=10)
    theirs = Redemption.objects.create(reward=reward, contact=bob, points=10)
    client.force_login(ada.user)
    assert client.get(f"/hub/rewards/mine/{mine.pk}/").status_code == 200
    assert client.get(f"/hub/rewards/mine/{theirs.pk}/").status_code == 404


def test_download_my_data_holds_only_the_signed_in_advocate(client, ada, bob):
    client.force_login(ada.user)
    response = client.get("/hub/profile/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.content.decode()
    assert "ada@customer.test" in body
    assert "bob@other-customer.test" not in body
    assert json.loads(body)  # valid JSON
    # there is no way to name another person: the URL has no id, query strings are ignored
    other = client.get(f"/hub/profile/data.json?contact_id={bob.pk}&email={bob.email}")
    assert "bob@other-customer.test" not in other.content.decode()


def test_signed_out_or_staff_get_no_personal_data_from_the_hub(client, ada):
    assert client.get("/hub/profile/data.json").status_code == 302
    client.force_login(User.objects.create_user("sales@acme.test", role="sales"))
    response = client.get("/hub/profile/data.json")
    assert response.status_code == 403
    assert "ada@customer.test" not in response.content.decode()


def test_advocate_cannot_act_on_another_advocates_reference_assignment(client, ada, bob):
    client.force_login(ada.user)
    # an id that is not Ada's (nonexistent or Bob's) is the same 404 (filtered by contact)
    assert client.post("/hub/references/999999/accept/", {}).status_code == 404
    assert client.post("/hub/references/999999/decline/", {}).status_code == 404


def test_reference_matches_only_list_consenting_contacts_and_only_to_managers(client, ada, bob):
    """A contact who has not granted `reference_calls` never appears as a candidate or a
    near miss; a candidate is name, title, account and the score. Sales file the request but
    the manager picks, so the candidate list answers 403 to sales (as the page shows it only to
    managers)."""
    for contact in (ada, bob):
        contact.account.status = "active"
        contact.account.save(update_fields=["status"])
    consent_record(contact=ada, purpose="reference_calls", is_granted=True, source="hub")
    consent_record(contact=bob, purpose="reference_calls", is_granted=False, source="hub")
    sales = User.objects.create_user("sales@acme.test", role="sales")
    client.force_login(sales)
    created = client.post(
        "/api/v1/reference-requests",
        json.dumps({"opportunity_name": "Northwind renewal", "activity_type": "call"}),
        "application/json",
    )
    assert created.status_code in (200, 201), created.content
    request_id = created.json()["id"]
    assert client.get(f"/api/v1/reference-requests/{request_id}/matches").status_code == 403
    client.force_login(User.objects.create_user("manager@acme.test", role="manager"))
    matches = client.get(f"/api/v1/reference-requests/{request_id}/matches").json()
    listed = {c["contact_id"] for c in matches["candidates"] + matches["near_misses"]}
    assert bob.pk not in listed
    for candidate in matches["candidates"]:
        assert set(candidate) == {
            "contact_id", "name", "account", "title", "score", "explanation", "factors",
            "rule", "reason",
        }  # fmt: skip
        assert "@" not in json.dumps(candidate)  # no email, no phone


def test_sales_do_not_see_contact_emails_or_phones_but_csms_do(client, bob):
    """Sales read the directory but reach customers through the reference workflow, so every
    ask is counted: the contact, account and list pages and the contacts API hide email and
    phone from them. CSMs and managers see both."""
    bob.phone = "+32 470 12 34 56"
    bob.save(update_fields=["phone"])
    pages = [f"/contacts/{bob.pk}/", f"/accounts/{bob.account_id}/", "/contacts/"]
    client.force_login(User.objects.create_user("sales@acme.test", role="sales"))
    for url in pages:
        body = client.get(url).content.decode()
        assert bob.email not in body and bob.phone not in body, url
    # Nor in the untapped-promoters list and export or the ask-log search (which offers ids).
    Contact.objects.filter(pk=bob.pk).update(stage=Contact.Stage.PROMOTER)
    Account.objects.filter(pk=bob.account_id).update(status="active")
    exported = client.get("/pulse/untapped/?format=csv").content.decode()
    assert bob.first_name in exported and bob.email not in exported
    listed = client.get("/pulse/untapped/").content.decode()
    assert bob.first_name in listed and bob.email not in listed
    options = client.get("/references/asks/contacts/", {"contact": bob.first_name}).content
    assert bob.email not in options.decode() and f'value="{bob.pk}"' in options.decode()
    api = client.get(f"/api/v1/contacts/{bob.pk}").json()
    assert (api["email"], api["phone"]) == ("", "")
    listed = client.get("/api/v1/contacts").json()["items"]
    assert listed and all(item["email"] == "" for item in listed)
    client.force_login(User.objects.create_user("csm@acme.test", role="csm"))
    for url in pages:
        assert bob.email in client.get(url).content.decode(), url
    assert client.get(f"/contacts/{bob.pk}/").content.decode().count(bob.phone) >= 1
    assert client.get(f"/api/v1/contacts/{bob.pk}").json()["email"] == bob.email
