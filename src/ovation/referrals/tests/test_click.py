"""The click path `/r/<code>`: recording, cookie, redirect, unknown codes, query budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ovation.referrals.models import ReferralClick
from ovation.referrals.tracking import CODE_ALPHABET, CODE_LENGTH, cookie_name, ip_hash

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"


def test_click_records_sets_cookie_and_redirects_to_our_landing_page(client, link):
    response = client.get(
        f"/r/{link.code}?c=linkedin",
        HTTP_USER_AGENT=CHROME,
        HTTP_REFERER="https://www.linkedin.com/feed/update/123",
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    assert response["Location"] == f"/refer/customers/?ref={link.code}&c=linkedin"
    assert response["Cache-Control"] == "no-store"
    cookie = response.cookies[cookie_name(link.program_id)]
    assert cookie["max-age"] == 90 * 86400
    assert cookie["httponly"] is True
    assert "sessionid" not in response.cookies
    click = ReferralClick.objects.get()
    assert (click.link_id, click.program_id) == (link.pk, link.program_id)
    assert click.agent == "browser"
    assert click.channel == "linkedin"
    assert click.referer_host == "www.linkedin.com"
    assert click.ip_hash == ip_hash("203.0.113.9")
    assert "203.0.113.9" not in click.ip_hash
    assert (click.is_bot, click.is_duplicate) == (False, False)


def test_user_agent_classes_and_bot_flag(client, link):
    client.get(f"/r/{link.code}", HTTP_USER_AGENT=IPHONE, REMOTE_ADDR="198.51.100.1")
    client.get(f"/r/{link.code}", HTTP_USER_AGENT="Googlebot/2.1", REMOTE_ADDR="198.51.100.2")
    client.get(f"/r/{link.code}", REMOTE_ADDR="198.51.100.3")  # no user agent at all

    rows = list(ReferralClick.objects.order_by("id").values_list("agent", "is_bot"))
    assert rows == [("mobile", False), ("bot", True), ("bot", True)]


def test_repeated_clicks_within_seconds_count_once(client, link):
    for _ in range(3):
        client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="198.51.100.7")
    client.cookies.clear()  # another person, on another network
    client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="198.51.100.8")

    flags = list(ReferralClick.objects.order_by("id").values_list("is_duplicate", flat=True))
    assert flags == [False, True, True, False]


def test_lowercase_code_is_accepted(client, link):
    response = client.get(f"/r/{link.code.lower()}", HTTP_USER_AGENT=CHROME)
    assert response.status_code == 302
    assert ReferralClick.objects.count() == 1


def test_existing_attribution_cookie_is_not_replaced_first_touch_wins(client, program, link):
    from .factories import LinkFactory

    other = LinkFactory(program=program)
    first = client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME)
    original = first.cookies[cookie_name(program.pk)].value

    second = client.get(f"/r/{other.code}", HTTP_USER_AGENT=CHROME)

    assert second.status_code == 302
    assert cookie_name(program.pk) not in second.cookies  # not overwritten
    assert client.cookies[cookie_name(program.pk)].value == original
    assert ReferralClick.objects.filter(link=other).count() == 1  # the click still counts


@pytest.mark.parametrize(
    "path",
    [
        "/r/{code}?next=https://evil.example",
        "/r/{code}?url=//evil.example",
        "/r/{code}?redirect=https://evil.example&c=https://evil.example",
        "/r/{code}?c=//evil.example",
        "/r/{code}?ref=https://evil.example",
    ],
)
def test_no_open_redirect_via_any_parameter(client, link, path):
    response = client.get(path.format(code=link.code), HTTP_USER_AGENT=CHROME)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/refer/customers/?ref={link.code}")
    assert "evil" not in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/r///evil.example",
        "/r//evil.example",
        "/r/%2F%2Fevil.example",
        "/r/https:%2F%2Fevil.example",
    ],
)
def test_no_open_redirect_via_the_code(client, link, path):
    response = client.get(path, HTTP_USER_AGENT=CHROME)
    assert response.status_code in (404, 301)
    if response.status_code == 301:  # APPEND_SLASH may tidy the path, never leave the site
        assert response["Location"].startswith("/")
        assert not response["Location"].startswith("//")
    assert ReferralClick.objects.count() == 0


def test_unknown_code_is_a_friendly_404_page(client, link):
    response = client.get("/r/ZZZZZZZZZZ", HTTP_USER_AGENT=CHROME)
    assert response.status_code == 404
    assert (
        b"couldn&#x27;t find that invitation" in response.content
        or b"find that invitation" in response.content
    )
    assert ReferralClick.objects.count() == 0


def test_unknown_codes_are_rate_limited_per_ip(client, link):
    statuses = [
        client.get(f"/r/{'A' * 9}{c}", REMOTE_ADDR="192.0.2.50").status_code
        for c in "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[30:] == [429, 429]
    # another address is not affected, and a valid code still works for the limited address
    assert client.get("/r/ZZZZZZZZZ2", REMOTE_ADDR="192.0.2.51").status_code == 404
    assert client.get(f"/r/{link.code}", REMOTE_ADDR="192.0.2.50").status_code == 302


def test_codes_are_long_and_drawn_from_an_unambiguous_alphabet(link):
    from ovation.referrals.tracking import code_generate

    codes = {code_generate() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH == 10 for c in codes)
    assert set("".join(codes)) <= set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) == 32
    assert not set("01OI") & set(CODE_ALPHABET)
    assert len(link.code) == 10


def test_click_query_budget_with_a_warm_cache(client, link):
    client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME)  # warms the in-process link cache

    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME, REMOTE_ADDR="10.0.0.2")

    assert response.status_code == 302
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 1, sql
    assert sql[0].startswith("INSERT INTO")


def test_click_query_budget_cold(client, link, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert client.get(f"/r/{link.code}", HTTP_USER_AGENT=CHROME).status_code == 302


def test_inactive_link_or_program_is_unknown(client, link):
    link.is_active = False
    link.save()
    assert client.get(f"/r/{link.code}").status_code == 404
