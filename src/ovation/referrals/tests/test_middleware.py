"""The optional ClickFastPathMiddleware: same behaviour as the normal path, fewer layers."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ovation.referrals.models import ReferralClick
from ovation.referrals.tracking import cookie_name

FAST = "ovation.referrals.middleware.ClickFastPathMiddleware"


@pytest.fixture
def fast(settings):
    settings.MIDDLEWARE = [FAST, *settings.MIDDLEWARE]


def test_fast_path_records_redirects_and_sets_security_headers(client, fast, link):
    client.get(f"/r/{link.code}", HTTP_USER_AGENT="Mozilla/5.0 Chrome/126")  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/r/{link.code}?next=//evil.example", HTTP_USER_AGENT="Mozilla/5.0")
    assert response.status_code == 302
    assert response["Location"] == f"/refer/customers/?ref={link.code}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert cookie_name(link.program_id) in client.cookies
    assert len(queries.captured_queries) == 1
    assert ReferralClick.objects.count() == 2


def test_unknown_codes_fall_through_to_the_rate_limited_page(client, fast, link):
    assert client.get("/r/ZZZZZZZZZZ").status_code == 404


def test_disallowed_host_is_refused(client, fast, link, settings):
    settings.ALLOWED_HOSTS = ["ovation.example"]
    response = client.get(f"/r/{link.code}", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert ReferralClick.objects.count() == 0


def test_plain_http_goes_through_the_normal_stack_when_ssl_redirect_is_on(
    client, fast, link, settings
):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(f"/r/{link.code}")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert ReferralClick.objects.count() == 0


def test_post_is_not_served_by_the_fast_path(client, fast, link):
    assert FAST in settings.MIDDLEWARE
    assert client.post(f"/r/{link.code}").status_code == 405
    assert ReferralClick.objects.count() == 0
