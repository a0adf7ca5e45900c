"""Passwordless sign-in: code and magic link are single-use, expire, are rate limited, never
reveal whether an address is an advocate, and a GET of the link never signs in."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ovation.hub.models import HubLoginToken

from .factories import AdvocateFactory, StaffFactory


@pytest.fixture(autouse=True)
def _send_mail_in_request(monkeypatch):
    """Emails go out after commit; tests run inside a transaction, so run those callbacks at
    once (as a committed request would)."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def _request_code(client, email):
    return client.post(reverse("hub:login"), {"email": email})


def _code_and_link(message):
    code = re.search(r"\b(\d{4} \d{4})\b", message.body).group(1)
    link = re.search(r"(/hub/login/link/[^/\s]+/)", message.body).group(1)
    return code, link


@pytest.mark.django_db
def test_code_signs_in_once_and_lands_on_the_hub(client):
    advocate = AdvocateFactory(email="ana@customer.test")
    response = _request_code(client, "ANA@customer.test")
    assert response.status_code == 302 and response["Location"] == reverse("hub:login-code")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@customer.test"]
    code, _ = _code_and_link(mail.outbox[0])

    response = client.post(reverse("hub:login-code"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("hub:home")
    assert client.get(reverse("hub:home")).status_code == 200
    assert advocate.hub_profile.__class__.objects.get(contact=advocate).first_login_at is not None

    # The same code does not work a second time.
    client.post(reverse("hub:logout"))
    _request_code(client, "ana@customer.test")
    response = client.post(reverse("hub:login-code"), {"code": code})
    assert response.status_code == 200
    assert "not right or has expired" in response.content.decode()
    assert client.get(reverse("hub:home")).status_code == 302


@pytest.mark.django_db
def test_codes_and_links_are_stored_only_as_hashes(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    code, link = _code_and_link(mail.outbox[0])
    secret = link.rstrip("/").rsplit("/", 1)[1]
    token = HubLoginToken.objects.get()
    stored = " ".join([token.code_hash, token.link_hash])
    assert code.replace(" ", "") not in stored and secret not in stored
    assert len(token.code_hash) == 64 and len(token.link_hash) == 64


@pytest.mark.django_db
def test_expired_code_is_refused(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    code, _ = _code_and_link(mail.outbox[0])
    HubLoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("hub:login-code"), {"code": code})
    assert "not right or has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_token_expires_within_ten_minutes(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    token = HubLoginToken.objects.get()
    assert token.expires_at - token.created_at <= timedelta(minutes=10)


@pytest.mark.django_db
def test_five_wrong_codes_burn_the_token(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    code, _ = _code_and_link(mail.outbox[0])
    for wrong in ["00000000", "11111111", "22222222", "33333333", "44444444"]:
        if wrong != code.replace(" ", ""):
            client.post(reverse("hub:login-code"), {"code": wrong})
    response = client.post(reverse("hub:login-code"), {"code": code})
    assert "not right or has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_magic_link_get_does_not_consume_only_post_signs_in(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    _, link = _code_and_link(mail.outbox[0])
    scanner = client.__class__()
    for _ in range(3):  # a mail scanner opening the link, several times
        response = scanner.get(link)
        assert response.status_code == 200
        assert "Continue to the hub" in response.content.decode()
    assert HubLoginToken.objects.get().used_at is None
    assert "_auth_user_id" not in scanner.session

    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == reverse("hub:home")
    assert HubLoginToken.objects.get().used_at is not None
    # Used up: a second POST (another browser) is refused, and GET says so.
    other = client.__class__()
    assert other.post(link).status_code == 410
    assert "_auth_user_id" not in other.session
    assert "expired" in other.get(link).content.decode()


@pytest.mark.django_db
def test_signing_in_with_the_link_burns_the_code(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    code, link = _code_and_link(mail.outbox[0])
    client.__class__().post(link)
    response = client.post(reverse("hub:login-code"), {"code": code})
    assert "not right or has expired" in response.content.decode()


@pytest.mark.django_db
def test_expired_link_is_refused(client):
    AdvocateFactory(email="ana@customer.test")
    _request_code(client, "ana@customer.test")
    _, link = _code_and_link(mail.outbox[0])
    HubLoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(link).status_code == 410
    assert client.post(link).status_code == 410
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_unknown_and_staff_emails_get_the_same_answer_and_no_email(client):
    AdvocateFactory(email="ana@customer.test")
    StaffFactory(email="boss@acme.test")
    known = _request_code(client, "ana@customer.test")
    unknown = client.__class__().post(reverse("hub:login"), {"email": "nobody@else.test"})
    staff = client.__class__().post(reverse("hub:login"), {"email": "boss@acme.test"})
    assert known.status_code == unknown.status_code == staff.status_code == 302
    assert known["Location"] == unknown["Location"] == staff["Location"]
    assert [m.to for m in mail.outbox] == [["ana@customer.test"]]
    assert HubLoginToken.objects.count() == 1


@pytest.mark.django_db
def test_code_page_text_is_identical_for_known_and_unknown(client):
    AdvocateFactory(email="ana@customer.test")
    a, b = client, client.__class__()
    a.post(reverse("hub:login"), {"email": "ana@customer.test"})
    b.post(reverse("hub:login"), {"email": "zed@customer.test"})
    page_a = (
        a.get(reverse("hub:login-code"))
        .content.decode()
        .replace("ana@customer.test", "X")
        .replace("ana%40customer.test", "X")
    )
    page_b = (
        b.get(reverse("hub:login-code"))
        .content.decode()
        .replace("zed@customer.test", "X")
        .replace("zed%40customer.test", "X")
    )
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    strip_hx = lambda html: re.sub(r'"X-CSRFToken": "[^"]+"', "", strip(html))  # noqa: E731
    assert strip_hx(page_a) == strip_hx(page_b)


@pytest.mark.django_db
def test_rate_limit_per_email(client):
    AdvocateFactory(email="ana@customer.test")
    statuses = [
        client.__class__(REMOTE_ADDR=f"10.0.0.{i}")
        .post(reverse("hub:login"), {"email": "ana@customer.test"})
        .status_code
        for i in range(7)
    ]
    assert statuses == [302] * 5 + [429, 429]
    assert len(mail.outbox) == 5


@pytest.mark.django_db
def test_rate_limit_per_ip(client):
    statuses = [
        client.post(reverse("hub:login"), {"email": f"person{i}@x.test"}).status_code
        for i in range(22)
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429, 429]


@pytest.mark.django_db
def test_staff_visiting_the_hub_get_a_clear_message(client):
    staff = StaffFactory()
    client.force_login(staff)
    response = client.get(reverse("hub:home"))
    assert response.status_code == 403
    assert "The hub is for advocates" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("hub:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith("/hub/login/?next=")


@pytest.mark.django_db
def test_logout_is_post_only(advocate_client):
    assert advocate_client.get(reverse("hub:logout")).status_code == 405
    assert advocate_client.get(reverse("hub:home")).status_code == 200
    advocate_client.post(reverse("hub:logout"))
    assert advocate_client.get(reverse("hub:home")).status_code == 302


@pytest.mark.django_db
def test_next_parameter_only_allows_hub_paths(client):
    AdvocateFactory(email="ana@customer.test")
    client.post(reverse("hub:login"), {"email": "ana@customer.test", "next": "https://evil.test/"})
    code, _ = _code_and_link(mail.outbox[0])
    response = client.post(reverse("hub:login-code"), {"code": code})
    assert response["Location"] == reverse("hub:home")
