"""Abuse limits on everything a stranger can hit: staff login (axes lockout), hub sign-in code
requests and code checks, referral codes, the referral lead form and survey answers.

Each test floods one door from one IP and asserts the exact request that starts being refused
and that refused requests change nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ovation.users.models import User

from .conftest import make_advocate

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"


def test_staff_login_form_refuses_even_the_right_password_after_five_failures(client):
    """allauth's login_failed limit (5 per 5 minutes per address) answers first; axes
    (below) stands behind it for any other path into authenticate()."""
    User.objects.create_user("admin@acme.test", "right-password-123", role="admin")
    for i in range(5):
        response = client.post(
            "/auth/login/", {"login": "admin@acme.test", "password": f"wrong-{i}"}, REMOTE_ADDR=IP
        )
        assert response.status_code == 200
    locked = client.post(
        "/auth/login/",
        {"login": "admin@acme.test", "password": "right-password-123"},
        REMOTE_ADDR=IP,
    )
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_axes_locks_a_user_and_ip_out_after_ten_failed_authentications(rf, settings):
    from axes.models import AccessAttempt
    from django.contrib.auth import authenticate

    User.objects.create_user("admin@acme.test", "right-password-123", role="admin")
    assert settings.AXES_FAILURE_LIMIT == 10

    def attempt(password):
        request = rf.post("/auth/login/", REMOTE_ADDR=IP)
        return authenticate(request, username="admin@acme.test", password=password)

    assert [attempt(f"wrong-{i}") for i in range(10)] == [None] * 10
    assert AccessAttempt.objects.get(ip_address=IP).failures_since_start == 10
    assert attempt("right-password-123") is None  # locked out, even with the right password


def test_staff_login_lockout_is_per_user_and_ip_so_others_can_still_sign_in(client):
    User.objects.create_user("admin@acme.test", "right-password-123", role="admin")
    User.objects.create_user("sales@acme.test", "right-password-456", role="sales")
    for i in range(10):
        client.post(
            "/auth/login/", {"login": "admin@acme.test", "password": f"x{i}"}, REMOTE_ADDR=IP
        )
    ok = client.post(
        "/auth/login/",
        {"login": "sales@acme.test", "password": "right-password-456"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="sales@acme.test").pk)


def test_hub_code_requests_are_limited_per_email_and_send_no_more_mail(
    client, django_capture_on_commit_callbacks
):
    make_advocate("ada@customer.test")
    statuses = []
    for i in range(7):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/hub/login/", {"email": "ada@customer.test"}, REMOTE_ADDR=f"198.51.100.{i}"
            )
        statuses.append(response.status_code)
    assert statuses[:5] == [302] * 5
    assert statuses[5:] == [429, 429]
    assert len(mail.outbox) == 5


def test_hub_code_requests_are_limited_per_ip_across_addresses(client):
    statuses = [
        client.post("/hub/login/", {"email": f"p{i}@probe.test"}, REMOTE_ADDR=IP).status_code
        for i in range(22)
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429, 429]


def test_hub_code_guessing_is_limited_per_ip(client):
    make_advocate("ada@customer.test")
    client.post("/hub/login/", {"email": "ada@customer.test"}, REMOTE_ADDR=IP)
    statuses = [
        client.post("/hub/login/code/", {"code": f"{i:06d}"}, REMOTE_ADDR=IP).status_code
        for i in range(42)
    ]
    assert 429 in statuses
    first_refusal = statuses.index(429)
    assert first_refusal <= 40
    assert set(statuses[first_refusal:]) == {429}
    assert "_auth_user_id" not in client.session


def test_unknown_referral_codes_get_a_friendly_404_then_429_with_retry_after(client):
    statuses = [client.get(f"/r/ZZZZZZ{i:04d}", REMOTE_ADDR=IP).status_code for i in range(32)]
    assert statuses[:30] == [404] * 30
    assert statuses[30:] == [429, 429]
    limited = client.get("/r/ZZZZZZ9999", REMOTE_ADDR=IP)
    assert limited["Retry-After"] == "60"
    # another client is not affected
    assert client.get("/r/ZZZZZZ9998", REMOTE_ADDR="198.51.100.1").status_code == 404


def test_referral_lead_form_is_limited_per_ip_and_refused_posts_store_nothing(client):
    from ovation.referrals.models import Referral
    from ovation.referrals.tests.factories import LinkFactory, ProgramFactory

    link = LinkFactory(program=ProgramFactory(slug="customers"))
    statuses = []
    for i in range(12):
        statuses.append(
            client.post(
                f"/refer/customers/?ref={link.code}",
                {
                    "first_name": "Sam",
                    "email": f"sam{i}@northwind{i}.test",
                    "company": "Northwind",
                    "consent": "on",
                    "website": "",
                },
                REMOTE_ADDR=IP,
            ).status_code
        )
    assert statuses[10:] == [429, 429]
    assert Referral.objects.count() == statuses.count(302) == 10


@pytest.fixture
def invitation(db):
    from ovation.pulse.models import Campaign, SurveyInvitation

    contact = make_advocate("nps@customer.test")
    campaign = Campaign.objects.create(name="Q1 NPS")
    return SurveyInvitation.objects.create(
        campaign=campaign, contact=contact, expires_at=timezone.now() + timedelta(days=30)
    )


def test_survey_answers_are_rate_limited_per_link_and_the_kept_answer_is_the_last_allowed(
    client, invitation
):
    from ovation.pulse.models import Response

    statuses = [
        client.post(
            f"/s/{invitation.token}", {"score": str(i % 11), "reason": f"spam {i}"}, REMOTE_ADDR=IP
        ).status_code
        for i in range(25)
    ]
    assert statuses[:20] == [302] * 20 and statuses[20:] == [429] * 5
    # One-click links from the email count against the same limit.
    assert client.get(f"/s/{invitation.token}?score=3", REMOTE_ADDR=IP).status_code == 429
    kept = Response.objects.get()
    assert (kept.score, kept.reason) == (19 % 11, "spam 19")
    # Another link answered from the same company address is not held back.
    from ovation.pulse.models import SurveyInvitation

    other = SurveyInvitation.objects.create(
        campaign=invitation.campaign,
        contact=make_advocate("colleague@customer.test"),
        expires_at=invitation.expires_at,
    )
    assert client.get(f"/s/{other.token}?score=9", REMOTE_ADDR=IP).status_code == 200


def test_probing_unknown_survey_links_is_limited_per_ip(client):
    statuses = [client.get(f"/s/no-such-token-{i}", REMOTE_ADDR=IP).status_code for i in range(32)]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429, 429]


def test_unknown_survey_tokens_are_404_and_tokens_are_unguessable(client, invitation):
    assert client.get("/s/not-a-real-token", REMOTE_ADDR=IP).status_code == 404
    # 18 random bytes: guessing is not a practical attack even without a limit.
    assert len(invitation.token) >= 24
