"""Who sees and changes directory pages, and how many queries the lists cost."""

import pytest
from django.urls import reverse

from ovation.directory.models import Account, Contact, Industry
from ovation.users.models import User

from .factories import AccountFactory, ConsentFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _pages(contact):
    return [
        reverse("directory:contact-list"),
        reverse("directory:account-list"),
        reverse("directory:contact-detail", args=[contact.pk]),
        reverse("directory:account-detail", args=[contact.account_id]),
        reverse("directory:contact-timeline", args=[contact.pk]),
        reverse("directory:account-timeline", args=[contact.account_id]),
    ]


def test_anonymous_is_sent_to_login_and_sees_no_data(client):
    contact = ContactFactory(email="secret.person@x.test")
    for url in _pages(contact):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/auth/login/")
        assert b"secret.person" not in response.content


def test_advocate_gets_403_and_no_data(client, staff):
    contact = ContactFactory(email="secret.person@x.test")
    client.force_login(staff(User.Role.ADVOCATE))
    for url in _pages(contact):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"secret.person" not in response.content


def test_sales_reads_but_cannot_edit_anything(client, staff):
    contact = ContactFactory(first_name="Keep")
    client.force_login(staff(User.Role.SALES))
    for url in _pages(contact):
        assert client.get(url).status_code == 200, url
    detail = client.get(reverse("directory:contact-detail", args=[contact.pk])).content.decode()
    assert "Edit contact" not in detail and "Record a consent change" not in detail

    attempts = [
        (
            reverse("directory:contact-edit", args=[contact.pk]),
            {"first_name": "Changed", "email": contact.email, "stage": "champion"},
        ),
        (reverse("directory:contact-create"), {"email": "new@x.test", "stage": "customer"}),
        (reverse("directory:account-create"), {"name": "New Co", "status": "active", "arr": "1"}),
        (
            reverse("directory:contact-consent", args=[contact.pk]),
            {"purpose": "logo", "is_granted": "yes"},
        ),
        (reverse("directory:contact-note", args=[contact.pk]), {"kind": "note", "summary": "x"}),
        (reverse("directory:taxonomy-create", args=["industries"]), {"industries-name": "Mining"}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    contact.refresh_from_db()
    assert contact.first_name == "Keep" and contact.stage == "customer"
    assert Contact.objects.count() == 1 and Account.objects.count() == 1
    assert contact.consents.count() == 0 and contact.activities.count() == 0
    assert not Industry.objects.filter(name="Mining").exists()


def test_csm_can_edit_but_not_manage_taxonomies(client, staff):
    client.force_login(staff(User.Role.CSM))
    assert client.get(reverse("directory:contact-create")).status_code == 200
    assert client.get(reverse("directory:taxonomy-list")).status_code == 403


def test_missing_contact_is_404(manager_client):
    assert manager_client.get(reverse("directory:contact-detail", args=[987654])).status_code == 404
    assert manager_client.get(reverse("directory:account-detail", args=[987654])).status_code == 404


# --- query budgets: independent of how many rows are on the page ---------------------------------
# session + user, count, page, 4 filter option lists (industries, regions, products, CSMs)
CONTACT_LIST_BUDGET = 8
# the same + one grouped count of contacts/advocates for the page's accounts
ACCOUNT_LIST_BUDGET = 9
# session + user, contact (+account, taxonomies, CSM), products, consents, timeline
CONTACT_DETAIL_BUDGET = 9  # + the NPS history panel (answers, stage changes)
# session + user, account, products, contacts, counts, timeline
ACCOUNT_DETAIL_BUDGET = 8


def _populate(n):
    product = ProductFactory()
    accounts = [AccountFactory() for _ in range(max(1, n // 3))]
    for account in accounts:
        account.products.add(product)
    for i in range(n):
        ContactFactory(account=accounts[i % len(accounts)])
    return accounts


@pytest.mark.parametrize("n", [2, 60])
def test_contact_list_query_budget(manager_client, django_assert_max_num_queries, n):
    _populate(n)
    with django_assert_max_num_queries(CONTACT_LIST_BUDGET):
        response = manager_client.get(
            reverse("directory:contact-list"), {"q": "", "sort": "account"}
        )
    assert len(response.context["page_obj"]) == min(n, 50)


@pytest.mark.parametrize("n", [2, 60])
def test_contact_list_with_filters_query_budget(manager_client, django_assert_max_num_queries, n):
    accounts = _populate(n)
    with django_assert_max_num_queries(CONTACT_LIST_BUDGET):
        manager_client.get(
            reverse("directory:contact-list"),
            {"industry": accounts[0].industry.slug, "stage": "customer", "q": "a"},
        )


@pytest.mark.parametrize("n", [2, 60])
def test_account_list_query_budget(manager_client, django_assert_max_num_queries, n):
    _populate(n * 3)
    with django_assert_max_num_queries(ACCOUNT_LIST_BUDGET):
        response = manager_client.get(reverse("directory:account-list"), {"sort": "-arr"})
    assert len(response.context["accounts"]) == min(n, 50)


@pytest.mark.parametrize("n", [1, 30])
def test_detail_page_query_budgets(manager_client, django_assert_max_num_queries, n):
    from ovation.activity.services import activity_record

    account = _populate(3 * n)[0]
    contact = account.contacts.first()
    for _ in range(n):
        ConsentFactory(contact=contact)
        activity_record(kind="note", contact=contact, data={"summary": "hi"})
    with django_assert_max_num_queries(CONTACT_DETAIL_BUDGET):
        manager_client.get(reverse("directory:contact-detail", args=[contact.pk]))
    with django_assert_max_num_queries(ACCOUNT_DETAIL_BUDGET):
        manager_client.get(reverse("directory:account-detail", args=[account.pk]))
