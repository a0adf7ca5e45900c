"""Staff journey through the directory in a real browser: sign in with the login form, search
contacts, open one and see its timeline and consents; screenshots of the main pages."""

import re

import pytest
from playwright.sync_api import expect

from ovation.activity.services import activity_record
from ovation.directory.models import Account, Consent, Contact, Industry, Product, Region
from ovation.directory.services import consent_record
from ovation.users.models import User

PASSWORD = "journey-pass-8642"


def _company():
    manager = User.objects.create_user(
        "manager@acme.test", PASSWORD, role=User.Role.MANAGER, full_name="Morgan Manager"
    )
    csm = User.objects.create_user(
        "csm@acme.test", PASSWORD, role=User.Role.CSM, full_name="Casey Success"
    )
    health = Industry.objects.create(name="Healthcare", slug="healthcare")
    finance = Industry.objects.create(name="Financial Services", slug="financial-services")
    emea = Region.objects.create(name="EMEA", slug="emea")
    na = Region.objects.create(name="North America", slug="north-america")
    products = [
        Product.objects.create(name=n, slug=n.lower().replace(" ", "-"))
        for n in ("Acme Dashboards", "Acme Forecast", "Acme Pipelines")
    ]
    names = [
        ("Northwind Health", health, emea, "BE", 240000, "active"),
        ("Contoso Bank", finance, na, "US", 410000, "at_risk"),
        ("Fabrikam Clinics", health, na, "CA", 88000, "active"),
        ("Tailspin Capital", finance, emea, "GB", 150000, "onboarding"),
    ]
    people = [
        ("Amélie", "Dubois", "VP Analytics", "vp", "champion"),
        ("Jonas", "Peeters", "Data Team Lead", "manager", "advocate"),
        ("Priya", "Raman", "Director of BI", "director", "promoter"),
        ("Lucas", "Martin", "Data Analyst", "ic", "customer"),
        ("Sofia", "Rossi", "CFO", "c_level", "customer"),
    ]
    for i, (name, industry, region, country, arr, status) in enumerate(names):
        account = Account.objects.create(
            name=name,
            domain=f"{name.split()[0].lower()}.example",
            industry=industry,
            region=region,
            country=country,
            arr=arr,
            status=status,
            csm_owner=csm,
            employee_band="1001-5000",
            crm_id=f"ACC-{i}",
        )
        account.products.set(products[: 1 + i % 3])
        for j, (first, last, title, seniority, stage) in enumerate(people):
            Contact.objects.create(
                account=account,
                first_name=first if i == 0 else f"{first}{i}",
                last_name=last,
                email=f"{first.lower().replace('é', 'e')}.{last.lower()}{i}@{account.domain}",
                title=title,
                seniority=seniority,
                stage=stage,
                crm_id=f"CON-{i}-{j}",
                timezone="Europe/Brussels",
            )
    star = Contact.objects.get(first_name="Amélie")
    consent_record(
        contact=star,
        purpose="reference_calls",
        is_granted=True,
        source="hub",
        note="Opted in from the hub",
    )
    consent_record(
        contact=star,
        purpose="logo",
        is_granted=True,
        source="staff",
        actor=csm,
        note="Signed logo release",
    )
    consent_record(
        contact=star,
        purpose="logo",
        is_granted=False,
        source="staff",
        actor=csm,
        note="Legal asked to pause logo use",
    )
    for kind, summary in [
        ("note", "QBR went well; wants to present at the user conference"),
        ("event.attended", "Attended the Amsterdam customer summit"),
        ("reference.given", "Reference call with a prospect in healthcare"),
    ]:
        activity_record(kind=kind, contact=star, data={"summary": summary}, source="demo")
    return manager, star


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_searches_and_opens_a_contact(page, live_server, screenshot):
    _, star = _company()
    page.set_viewport_size({"width": 1360, "height": 900})

    page.goto(f"{live_server.url}/contacts/")
    assert "/auth/login/" in page.url
    screenshot("login")
    page.fill("input[name=login]", "manager@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/contacts/"))

    page.fill("input[name=q]", "dubois")
    expect(page.locator("#results tbody tr")).to_have_count(4)
    assert "4 contacts match" in page.inner_text("#results")
    page.select_option("select[name=industry]", "healthcare")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert "industry=healthcare" in page.url
    screenshot("contact_list")

    page.get_by_role("link", name="Amélie Dubois").click()
    page.wait_for_url(re.compile(rf"/contacts/{star.pk}/"))
    timeline = page.inner_text("#timeline")
    assert "Attended the Amsterdam customer summit" in timeline
    consents = page.inner_text("#consents")
    assert "Reference calls" in consents and "Granted" in consents
    assert "Withdrawn" in consents and "Legal asked to pause logo use" in consents

    page.fill("textarea[name=summary]", "Agreed to speak at the spring webinar")
    page.get_by_role("button", name="Log it").click()
    page.wait_for_selector("text=Agreed to speak at the spring webinar")
    screenshot("contact_detail")

    page.goto(f"{live_server.url}/accounts/")
    screenshot("account_list")
    page.get_by_role("link", name="Northwind Health").click()
    page.wait_for_selector("h1:has-text('Northwind Health')")
    assert "Amélie Dubois" in page.inner_text("main")
    screenshot("account_detail")
    assert Consent.objects.filter(contact=star).count() == 3
