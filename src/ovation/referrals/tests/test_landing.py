"""Landing page and lead form: attribution, honeypot, validation, rate limiting, opt-in."""

import pytest
from django.core import mail
from freezegun import freeze_time

from ovation.activity.models import Activity, DomainEvent
from ovation.referrals.models import Referral
from ovation.referrals.tracking import cookie_name

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def form_data(**overrides):
    data = {
        "first_name": "Sam",
        "last_name": "Rivera",
        "email": "sam.rivera@northwind.test",
        "company": "Northwind",
        "message": "Janey said you could help with dashboards.",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def test_landing_shows_who_invites_and_the_offer(client, link):
    client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME)
    response = client.get("/refer/customers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Janey at Acme Corp" in html and "invites you" in html
    assert "3 months free on an annual plan" in html
    assert "<strong>dashboards</strong>" in html
    assert 'name="website"' in html  # the honeypot is there for bots


def test_submit_creates_a_lead_attributed_through_the_cookie(client, link, referrer):
    client.get(f"/r/{link.code}?c=email", HTTP_USER_AGENT=CHROME)
    response = client.post("/refer/customers/", form_data())

    assert response.status_code == 302
    assert response["Location"] == "/refer/customers/thanks/"
    r = Referral.objects.get()
    assert (r.referrer_id, r.link_id, r.program_id) == (referrer.pk, link.pk, link.program_id)
    assert (r.status, r.review, r.counts, r.channel) == ("lead", "clear", True, "email")
    assert r.email_normalized == "sam.rivera@northwind.test"
    assert r.consent_at is not None
    made = Activity.objects.get(kind="referral.made")
    assert made.contact_id == referrer.pk and made.data["referral_id"] == r.pk
    created = DomainEvent.objects.get(type="referral.created")
    assert created.data["referrer_contact_id"] == referrer.pk
    assert b"we'll be in touch" in client.get(response["Location"]).content


def test_attribution_falls_back_to_the_ref_parameter_without_cookies(client, link):
    response = client.post(f"/refer/customers/?ref={link.code}", form_data())
    assert response.status_code == 302
    assert Referral.objects.get().link_id == link.pk


def test_cookie_outside_the_attribution_window_does_not_attribute(client, link, program):
    program.attribution_window_days = 30
    program.save()
    with freeze_time("2026-01-01 10:00:00"):
        client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME)
    with freeze_time("2026-01-30 10:00:00"):  # day 29: still inside
        inside = client.get("/refer/customers/")
    with freeze_time("2026-02-01 10:00:01"):  # day 31: outside
        outside = client.get("/refer/customers/")
        post = client.post("/refer/customers/", form_data())

    assert "invites you" in inside.content.decode()
    assert "invites you" not in outside.content.decode()
    assert "no longer valid" in outside.content.decode()
    assert post.status_code == 400
    assert Referral.objects.count() == 0


def test_cookie_from_another_program_does_not_attribute(client, link):
    from .factories import ProgramFactory

    other = ProgramFactory(slug="partners")
    client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME)
    assert cookie_name(link.program_id) in client.cookies
    assert "invites you" not in client.get(f"/refer/{other.slug}/").content.decode()


def test_honeypot_looks_like_success_and_stores_nothing(client, link):
    response = client.post(
        f"/refer/customers/?ref={link.code}", form_data(website="http://spam.example")
    )
    assert response.status_code == 302
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "S" * 101, "at most 100 characters"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a" * 250 + "@x.test", "at most 254 characters"),
        ("company", "C" * 201, "at most 200 characters"),
        ("message", "m" * 2001, "at most 2000 characters"),
        ("first_name", "<script>alert(1)</script>", "Use letters only"),
        ("first_name", "Sam\x00", "Null characters are not allowed"),
        ("company", "North\x07wind", "control characters"),
        ("consent", "", "Please agree to be contacted"),
        ("first_name", "", "This field is required"),
    ],
)
def test_bad_input_is_rejected_with_a_message_naming_the_field(client, link, field, value, message):
    data = form_data(**{field: value})
    if field == "consent" and not value:
        data.pop("consent")
    response = client.post(f"/refer/customers/?ref={link.code}", data)

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert message.split("<")[0] in response.content.decode().replace("&#x27;", "'")
    assert Referral.objects.count() == 0


def test_oversized_body_is_refused_without_storing(client, link):
    response = client.post(f"/refer/customers/?ref={link.code}", form_data(message="x" * 200_000))
    assert response.status_code == 400
    assert Referral.objects.count() == 0


def test_lead_form_is_rate_limited_per_ip(client, link):
    codes = []
    for i in range(12):
        r = client.post(
            f"/refer/customers/?ref={link.code}",
            form_data(email=f"person{i}@company{i}.test"),
            REMOTE_ADDR="198.51.100.77",
        )
        codes.append(r.status_code)
    assert codes[:10] == [302] * 10
    assert codes[10:] == [429, 429]
    assert Referral.objects.count() == 10


def test_double_opt_in_sends_a_confirmation_and_confirms(
    client, link, program, django_capture_on_commit_callbacks
):
    program.double_opt_in = True
    program.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/refer/customers/?ref={link.code}", form_data())
    r = Referral.objects.get()
    assert r.confirmed_at is None
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    url = next(line for line in body.splitlines() if "/refer/confirm/" in line)
    response = client.get(url.replace("http://127.0.0.1:8000", ""))
    assert response.status_code == 200
    r.refresh_from_db()
    assert r.confirmed_at is not None
    assert client.get("/refer/confirm/garbage/").status_code == 400


def test_unknown_program_is_404(client, db):
    assert client.get("/refer/nope/").status_code == 404
