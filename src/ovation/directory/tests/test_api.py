"""Directory JSON API: accounts, contacts, bulk upsert, activities, consents, errors, tokens."""

import pytest

from ovation.activity.models import Activity
from ovation.directory.models import Account, Consent, Contact
from ovation.users.models import ApiToken, User
from ovation.users.services import api_token_create, api_token_revoke

from .factories import AccountFactory, ConsentFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    def make(role=User.Role.MANAGER, scope=ApiToken.Scope.WRITE):
        user = UserFactory(role=role)
        _, raw = api_token_create(user=user, scope=scope)
        return raw

    return make


@pytest.fixture
def api(client, token):
    """A client whose calls carry a write-scoped manager token."""
    auth = {"Authorization": f"Bearer {token()}"}

    class Api:
        def get(self, path, params=None, headers=None):
            return client.get(f"/api/v1{path}", params or {}, headers={**auth, **(headers or {})})

        def post(self, path, body, headers=None):
            return client.post(
                f"/api/v1{path}",
                body,
                content_type="application/json",
                headers={**auth, **(headers or {})},
            )

        def patch(self, path, body):
            return client.patch(
                f"/api/v1{path}", body, content_type="application/json", headers=auth
            )

    return Api()


def test_post_contact_creates_then_updates_by_email_any_case(api):
    account = AccountFactory(crm_id="SF-ACC-1")

    first = api.post(
        "/contacts",
        {
            "email": "Ada@Example.test",
            "first_name": "Ada",
            "account_crm_id": "SF-ACC-1",
            "seniority": "vp",
        },
    )
    second = api.post("/contacts", {"email": "ada@example.TEST", "title": "CTO"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    contact = Contact.objects.get()
    assert (contact.first_name, contact.title, contact.seniority, contact.account) == (
        "Ada",
        "CTO",
        "vp",
        account,
    )


def test_post_contact_matches_by_crm_id_first(api):
    contact = ContactFactory(crm_id="SF-1", email="old@x.test")
    response = api.post("/contacts", {"email": "new@x.test", "crm_id": "SF-1"})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.email == "new@x.test"
    assert Contact.objects.count() == 1


def test_validation_errors_are_problem_json_naming_the_field_and_change_nothing(api):
    response = api.post("/contacts", {"email": "not-an-email", "seniority": "intern"})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "seniority"}
    assert Contact.objects.count() == 0


def test_unknown_account_is_a_422_on_account_id(api):
    response = api.post("/contacts", {"email": "a@x.test", "account_id": 999999})
    assert response.status_code == 400 or response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "account_id", "message": "no account with id 999999"}
    ]
    assert Contact.objects.count() == 0


def test_list_contacts_by_email_and_cursor_pages(api):
    wanted = ContactFactory(email="Find.Me@x.test")
    for _ in range(3):
        ContactFactory()

    by_email = api.get("/contacts", {"email": "find.me@X.test"}).json()
    page1 = api.get("/contacts", {"limit": 2}).json()
    page2 = api.get(page1["next"].split("/api/v1")[1]).json()

    assert [c["id"] for c in by_email["items"]] == [wanted.id]
    assert by_email["next"] is None
    ids = [c["id"] for c in page1["items"] + page2["items"]]
    assert ids == sorted(Contact.objects.values_list("id", flat=True))
    assert page2["next"] is None


def test_list_contacts_filters_updated_since_industry_stage_account(api):
    account = AccountFactory()
    champion = ContactFactory(account=account, stage="champion")
    ContactFactory(account=account, stage="customer")
    ContactFactory(stage="champion")

    response = api.get(
        "/contacts",
        {
            "account_id": account.id,
            "stage": "champion",
            "industry": account.industry.slug,
            "updated_since": "2000-01-01T00:00:00Z",
        },
    )

    assert [c["id"] for c in response.json()["items"]] == [champion.id]


def test_patch_contact_changes_only_given_fields(api):
    contact = ContactFactory(first_name="Ann", title="Analyst")
    response = api.patch(f"/contacts/{contact.id}", {"title": "Head of Data", "stage": "promoter"})
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.first_name, contact.title, contact.stage) == ("Ann", "Head of Data", "promoter")


def test_patch_contact_to_a_taken_email_is_refused(api):
    ContactFactory(email="taken@x.test")
    contact = ContactFactory(email="mine@x.test")
    response = api.patch(f"/contacts/{contact.id}", {"email": "TAKEN@x.test"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "email"
    contact.refresh_from_db()
    assert contact.email == "mine@x.test"


def test_missing_contact_is_404_problem(api):
    response = api.get("/contacts/424242")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_bulk_upsert_reports_each_item_and_keeps_the_valid_ones(api):
    ContactFactory(email="exists@x.test", first_name="Same")
    ContactFactory(email="changes@x.test", title="Old")
    items = [
        {"email": "new@x.test", "first_name": "New"},
        {"email": "exists@x.test", "first_name": "Same"},
        {"email": "changes@x.test", "title": "New title"},
        {"email": "broken", "first_name": "Bad"},
        {"first_name": "No email"},
        {"email": "acct@x.test", "account_crm_id": "NOPE"},
    ]

    response = api.post("/contacts/bulk", {"items": items})

    body = response.json()
    assert response.status_code == 200
    assert [(r["index"], r["status"]) for r in body["results"]] == [
        (0, "created"),
        (1, "unchanged"),
        (2, "updated"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
    ]
    assert body["results"][3]["errors"][0]["field"] == "email"
    assert body["results"][4]["errors"][0]["field"] == "email"
    assert body["results"][5]["errors"][0]["field"] == "account_crm_id"
    assert (body["created"], body["updated"], body["unchanged"], body["errors"]) == (1, 1, 1, 3)
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "changes@x.test",
        "exists@x.test",
        "new@x.test",
    ]


def test_bulk_refuses_more_than_1000_items(api):
    response = api.post(
        "/contacts/bulk", {"items": [{"email": f"p{i}@x.test"} for i in range(1001)]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items"
    assert Contact.objects.count() == 0


def test_accounts_upsert_get_patch(api):
    created = api.post(
        "/accounts",
        {
            "name": "Hooli",
            "crm_id": "SF-9",
            "industry": "Software",
            "products": ["Dashboards"],
            "arr": "250000.00",
            "country": "us",
        },
    )
    again = api.post("/accounts", {"name": "Hooli Inc", "crm_id": "SF-9"})
    account_id = created.json()["id"]
    patched = api.patch(f"/accounts/{account_id}", {"status": "at_risk", "products": []})

    assert (created.status_code, again.status_code, patched.status_code) == (201, 200, 200)
    assert created.json()["industry"] == "Software"
    assert created.json()["products"] == ["Dashboards"]
    assert created.json()["country"] == "US"
    body = api.get(f"/accounts/{account_id}").json()
    assert (body["name"], body["status"], body["products"]) == ("Hooli Inc", "at_risk", [])
    assert Account.objects.count() == 1


def test_bad_account_input_is_refused_on_the_field(api):
    account = AccountFactory(arr=100)
    response = api.patch(f"/accounts/{account.id}", {"arr": "-1", "country": "Belgium"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"arr", "country"}
    account.refresh_from_db()
    assert account.arr == 100


def test_record_and_list_activities(api):
    contact = ContactFactory(email="act@x.test")
    body = {
        "email": "ACT@x.test",
        "kind": "event.attended",
        "data": {"summary": "Summit"},
        "external_id": "evt-1",
    }

    first = api.post("/activities", body)
    repeat = api.post("/activities", body)
    listed = api.get(f"/contacts/{contact.id}/activities").json()

    assert (first.status_code, repeat.status_code) == (201, 200)
    assert Activity.objects.filter(contact=contact).count() == 1
    assert [(a["kind"], a["data"]["summary"]) for a in listed["items"]] == [
        ("event.attended", "Summit")
    ]


def test_activity_kind_must_be_a_dotted_name(api):
    contact = ContactFactory()
    response = api.post("/activities", {"contact_id": contact.id, "kind": "Drop Table"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    assert Activity.objects.count() == 0


def test_consents_record_and_history(api):
    contact = ContactFactory()
    ConsentFactory(contact=contact, purpose="logo", is_granted=True)

    created = api.post(
        f"/contacts/{contact.id}/consents",
        {"purpose": "logo", "is_granted": False, "note": "asked by email"},
    )
    bad = api.post(f"/contacts/{contact.id}/consents", {"purpose": "tattoo", "is_granted": True})
    listed = api.get(f"/contacts/{contact.id}/consents").json()

    assert created.status_code == 201
    assert created.json()["source"] == "api"
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "purpose"
    assert [(c["purpose"], c["is_granted"]) for c in listed["current"]] == [("logo", False)]
    assert len(listed["history"]) == 2
    assert Consent.objects.count() == 2


# --- permissions and tokens ----------------------------------------------------------------------


def test_read_token_cannot_write(client, token):
    raw = token(scope=ApiToken.Scope.READ)
    headers = {"Authorization": f"Bearer {raw}"}
    read = client.get("/api/v1/contacts", headers=headers)
    write = client.post(
        "/api/v1/contacts", {"email": "x@x.test"}, content_type="application/json", headers=headers
    )
    assert read.status_code == 200
    assert write.status_code == 403
    assert Contact.objects.count() == 0


def test_revoked_token_is_401(client):
    user = UserFactory(role=User.Role.MANAGER)
    api_token, raw = api_token_create(user=user, scope=ApiToken.Scope.WRITE)
    api_token_revoke(token=api_token)
    response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_anonymous_gets_no_directory_data(client):
    contact = ContactFactory()
    for path in [
        "/api/v1/contacts",
        f"/api/v1/contacts/{contact.id}",
        "/api/v1/accounts",
        f"/api/v1/contacts/{contact.id}/consents",
        f"/api/v1/contacts/{contact.id}/activities",
    ]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert contact.email not in response.content.decode()


def test_advocate_token_gets_no_directory_data(client, token):
    contact = ContactFactory()
    headers = {"Authorization": f"Bearer {token(role=User.Role.ADVOCATE)}"}
    for path in ["/api/v1/contacts", f"/api/v1/contacts/{contact.id}", "/api/v1/accounts"]:
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert contact.email not in response.content.decode()


def test_sales_can_read_but_not_write(client, token):
    contact = ContactFactory(title="Analyst")
    headers = {"Authorization": f"Bearer {token(role=User.Role.SALES)}"}
    read = client.get(f"/api/v1/contacts/{contact.id}", headers=headers)
    write = client.patch(
        f"/api/v1/contacts/{contact.id}",
        {"title": "CEO"},
        content_type="application/json",
        headers=headers,
    )
    assert read.status_code == 200
    assert write.status_code == 403
    contact.refresh_from_db()
    assert contact.title == "Analyst"


# --- query budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 40])
def test_contact_list_api_query_budget_does_not_grow_with_page_size(
    api, n, django_assert_max_num_queries
):
    for _ in range(n):
        ContactFactory()
    # token lookup + last_used update + the page (contacts joined with account/taxonomies)
    with django_assert_max_num_queries(3):
        response = api.get("/contacts", {"limit": 50})
    assert len(response.json()["items"]) == n


@pytest.mark.parametrize("n", [3, 40])
def test_account_list_api_query_budget(api, n, django_assert_max_num_queries):
    product = __import__("ovation.directory.tests.factories", fromlist=["x"]).ProductFactory()
    for _ in range(n):
        AccountFactory().products.add(product)
    # token + last_used + page + products prefetch
    with django_assert_max_num_queries(4):
        response = api.get("/accounts", {"limit": 50})
    assert len(response.json()["items"]) == n
