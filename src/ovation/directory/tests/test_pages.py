"""Staff pages: lists, detail, forms, consents, notes, taxonomies."""

import pytest
from django.urls import reverse

from ovation.activity.models import Activity
from ovation.directory.models import Account, Consent, Contact
from ovation.users.models import User

from .factories import AccountFactory, ConsentFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_contact_list_searches_by_name_email_and_company(manager_client):
    acme = AccountFactory(name="Globex Corporation")
    ada = ContactFactory(first_name="Ada", last_name="Lovelace", account=acme)
    ContactFactory(first_name="Bob", last_name="Builder")
    url = reverse("directory:contact-list")

    by_name = manager_client.get(url, {"q": "lovelace"})
    by_company = manager_client.get(url, {"q": "globex"})
    by_email = manager_client.get(url, {"q": ada.email.upper()})

    for response in (by_name, by_company, by_email):
        assert response.status_code == 200
        assert list(response.context["page_obj"]) == [ada]


def _url(name, *args):
    return reverse(f"directory:{name}", args=args)


def test_every_staff_page_renders_for_a_manager(manager_client):
    contact = ContactFactory()
    ConsentFactory(contact=contact)
    pages = [
        _url("contact-list"),
        _url("account-list"),
        _url("contact-detail", contact.pk),
        _url("account-detail", contact.account_id),
        _url("contact-edit", contact.pk),
        _url("account-edit", contact.account_id),
        _url("contact-create"),
        _url("account-create"),
        _url("taxonomy-list"),
        _url("contact-timeline", contact.pk),
        _url("account-timeline", contact.account_id),
    ]
    for url in pages:
        assert manager_client.get(url).status_code == 200, url


def test_contact_list_filters_by_taxonomy_stage_and_csm(manager_client, staff):
    csm = staff(User.Role.CSM)
    product = ProductFactory(name="Forecast")
    target_account = AccountFactory(csm_owner=csm)
    target_account.products.add(product)
    wanted = ContactFactory(
        account=target_account, stage=Contact.Stage.ADVOCATE, seniority=Contact.Seniority.VP
    )
    ContactFactory(account=target_account, stage=Contact.Stage.CUSTOMER)
    ContactFactory(stage=Contact.Stage.ADVOCATE)
    params = {
        "industry": target_account.industry.slug,
        "region": target_account.region.slug,
        "product": "forecast",
        "stage": "advocate",
        "status": "active",
        "csm_owner": csm.pk,
        "seniority": "vp",
    }

    response = manager_client.get(_url("contact-list"), params)

    assert list(response.context["page_obj"]) == [wanted]


def test_contact_list_sorts_and_an_htmx_request_gets_only_the_results(manager_client):
    ContactFactory(last_name="Zeta", email="z@x.test")
    ContactFactory(last_name="Alpha", email="a@x.test")

    ascending = manager_client.get(_url("contact-list"), {"sort": "name"})
    descending = manager_client.get(
        _url("contact-list"), {"sort": "-name"}, headers={"HX-Request": "true"}
    )

    assert [c.last_name for c in ascending.context["page_obj"]] == ["Alpha", "Zeta"]
    assert [c.last_name for c in descending.context["page_obj"]] == ["Zeta", "Alpha"]
    assert b"<html" not in descending.content
    assert b'aria-sort="descending"' in descending.content


def test_unknown_filter_values_are_ignored_not_a_crash(manager_client):
    ContactFactory()
    response = manager_client.get(
        _url("contact-list"), {"stage": "nonsense", "csm_owner": "abc", "page": "999"}
    )
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 1


def test_account_list_shows_contact_and_advocate_counts(manager_client):
    account = AccountFactory(name="Initech")
    ContactFactory(account=account, stage=Contact.Stage.CHAMPION)
    ContactFactory(account=account)

    response = manager_client.get(_url("account-list"), {"q": "initech"})

    [row] = response.context["accounts"]
    assert row.counts == {"contacts": 2, "advocates": 1}


def test_contact_detail_shows_timeline_consent_history_and_account(manager_client, staff):
    from ovation.activity.services import activity_record

    contact = ContactFactory(first_name="Grace", last_name="Hopper")
    actor = staff(User.Role.CSM, full_name="Casey Success")
    ConsentFactory(contact=contact, is_granted=True, actor=actor, note="signed form")
    ConsentFactory(contact=contact, is_granted=False, source=Consent.Source.HUB)
    activity_record(kind="note", contact=contact, data={"summary": "Loves the forecast module"})

    response = manager_client.get(_url("contact-detail", contact.pk))

    html = response.content.decode()
    assert "Loves the forecast module" in html
    assert "Withdrawn" in html
    assert "1 earlier decision" in html
    assert "Casey Success" in html and "signed form" in html
    assert contact.account.name in html


def test_timeline_is_capped_with_show_more(manager_client):
    from ovation.activity.services import activity_record

    contact = ContactFactory()
    for i in range(25):
        activity_record(kind="note", contact=contact, data={"summary": f"note {i}"})

    page = manager_client.get(_url("contact-detail", contact.pk))
    more = manager_client.get(_url("contact-timeline", contact.pk), {"offset": 20})

    assert len(page.context["timeline"]["activities"]) == 20
    assert page.context["timeline"]["more_url"].endswith("?offset=20")
    assert len(more.context["timeline"]["activities"]) == 5
    assert more.context["timeline"]["more_url"] is None


def test_recording_a_consent_appends_to_the_history(manager_client):
    contact = ContactFactory()
    url = _url("contact-consent", contact.pk)

    manager_client.post(url, {"purpose": "logo", "is_granted": "yes", "note": "email"})
    manager_client.post(url, {"purpose": "logo", "is_granted": "no"})

    decisions = list(contact.consents.order_by("id").values_list("is_granted", "source"))
    assert decisions == [(True, "staff"), (False, "staff")]


def test_bad_consent_input_records_nothing_and_says_which_field(manager_client):
    contact = ContactFactory()
    response = manager_client.post(
        _url("contact-consent", contact.pk), {"purpose": "tattoo", "is_granted": "yes"}, follow=True
    )
    assert contact.consents.count() == 0
    assert "purpose" in response.content.decode()


def test_logging_a_note_adds_it_to_the_timeline(manager_client):
    contact = ContactFactory()
    response = manager_client.post(
        _url("contact-note", contact.pk),
        {"kind": "call.logged", "summary": "Agreed to a reference call"},
        headers={"HX-Request": "true"},
    )
    activity = Activity.objects.get(contact=contact)
    assert (activity.kind, activity.data["summary"], activity.source) == (
        "call.logged",
        "Agreed to a reference call",
        "staff",
    )
    assert "Agreed to a reference call" in response.content.decode()


def test_an_empty_note_is_refused(manager_client):
    contact = ContactFactory()
    response = manager_client.post(
        _url("contact-note", contact.pk),
        {"kind": "note", "summary": ""},
        headers={"HX-Request": "true"},
    )
    assert Activity.objects.count() == 0
    assert "This field is required" in response.content.decode()


def test_create_and_edit_an_account(manager_client):
    product = ProductFactory(name="Pipelines")
    response = manager_client.post(
        _url("account-create"),
        {
            "name": "Umbrella Corp",
            "domain": "umbrella.test",
            "country": "be",
            "arr": "120000",
            "status": "active",
            "products": [product.pk],
        },
    )
    account = Account.objects.get(name="Umbrella Corp")
    assert response["Location"] == _url("account-detail", account.pk)
    assert (account.country, account.arr, list(account.products.all())) == ("BE", 120000, [product])

    manager_client.post(
        _url("account-edit", account.pk),
        {
            "name": "Umbrella Corporation",
            "domain": "umbrella.test",
            "country": "BE",
            "arr": "130000",
            "status": "at_risk",
            "products": [],
        },
    )
    account.refresh_from_db()
    assert (account.name, account.status, account.products.count()) == (
        "Umbrella Corporation",
        "at_risk",
        0,
    )


def test_bad_account_input_names_the_field_and_changes_nothing(manager_client):
    account = AccountFactory(name="Stark Industries", arr=5000)
    response = manager_client.post(
        _url("account-edit", account.pk),
        {"name": "", "country": "Belgium", "arr": "-5", "status": "active"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "country", "arr"}
    account.refresh_from_db()
    assert (account.name, account.arr) == ("Stark Industries", 5000)


def test_edit_contact_with_a_taken_email_is_refused_on_the_email_field(manager_client):
    ContactFactory(email="taken@x.test")
    contact = ContactFactory(email="mine@x.test", first_name="Ann")
    response = manager_client.post(
        _url("contact-edit", contact.pk),
        {"first_name": "Anna", "email": "TAKEN@x.test", "stage": "customer", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    contact.refresh_from_db()
    assert (contact.first_name, contact.email) == ("Ann", "mine@x.test")


def test_changing_the_stage_records_a_stage_changed_activity(manager_client):
    contact = ContactFactory(stage=Contact.Stage.CUSTOMER)
    manager_client.post(
        _url("contact-edit", contact.pk),
        {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "account": contact.account_id,
            "stage": "advocate",
            "is_active": "on",
        },
    )
    contact.refresh_from_db()
    assert contact.stage == "advocate"
    activity = Activity.objects.get(contact=contact, kind="stage.changed")
    assert (activity.data["from"], activity.data["to"]) == ("customer", "advocate")


def test_create_contact(manager_client):
    account = AccountFactory()
    response = manager_client.post(
        _url("contact-create"),
        {
            "first_name": "Linus",
            "last_name": "T",
            "email": "linus@kernel.test",
            "account": account.pk,
            "stage": "customer",
            "is_active": "on",
            "timezone": "Europe/Helsinki",
        },
    )
    contact = Contact.objects.get(email="linus@kernel.test")
    assert response["Location"] == _url("contact-detail", contact.pk)
    assert contact.account == account


def test_taxonomies_add_rename_delete(manager_client):
    manager_client.post(
        reverse("directory:taxonomy-create", args=["industries"]), {"industries-name": "Aerospace"}
    )
    from ovation.directory.models import Industry

    industry = Industry.objects.get(name="Aerospace")
    manager_client.post(
        reverse("directory:taxonomy-edit", args=["industries", industry.pk]),
        {"name": "Aerospace & Defence", "action": "rename"},
    )
    industry.refresh_from_db()
    assert (industry.name, industry.slug) == ("Aerospace & Defence", "aerospace-defence")
    account = AccountFactory(industry=industry)
    manager_client.post(
        reverse("directory:taxonomy-edit", args=["industries", industry.pk]), {"action": "delete"}
    )
    account.refresh_from_db()
    assert account.industry is None
    assert not Industry.objects.filter(pk=industry.pk).exists()


def test_duplicate_taxonomy_name_is_refused(manager_client):
    from ovation.directory.models import Region

    Region.objects.create(name="EMEA", slug="emea")
    response = manager_client.post(
        reverse("directory:taxonomy-create", args=["regions"]),
        {"regions-name": "emea"},
        follow=True,
    )
    assert Region.objects.count() == 1
    assert "already exists" in response.content.decode()
