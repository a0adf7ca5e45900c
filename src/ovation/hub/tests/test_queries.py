"""Query budgets: pages cost the same with 5 or 40 rows."""

import pytest
from django.urls import reverse

from ovation.directory.models import Industry
from ovation.hub import services

from .factories import AdvocateFactory, ChallengeFactory


def _fill(advocate, n):
    industry = Industry.objects.create(name=f"Industry {n}")
    challenges = [ChallengeFactory(points=10, per_person_limit=2) for _ in range(n)]
    for c in challenges[: n // 2]:
        c.audience_industries.add(industry)
    for c in challenges[n // 2 :]:
        services.submission_create(challenge=c, contact=advocate)
        services.submission_create(challenge=c, contact=AdvocateFactory())
    return challenges


@pytest.mark.django_db
@pytest.mark.parametrize("n", [4, 40])
def test_hub_feed_query_budget(
    advocate_client, advocate, defaults, django_assert_max_num_queries, n
):
    _fill(advocate, n)
    with django_assert_max_num_queries(20):
        response = advocate_client.get(reverse("hub:home"))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert advocate_client.get(reverse("hub:challenge-list")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("n", [4, 40])
def test_review_queue_query_budget(
    manager_client, advocate, defaults, django_assert_max_num_queries, n
):
    _fill(advocate, n)
    with django_assert_max_num_queries(8):
        response = manager_client.get(reverse("hub:staff-review"))
    assert response.status_code == 200
    assert response.content.decode().count('class="review-row"') == min(n, 40)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [4, 40])
def test_leaderboard_and_api_query_budget(
    advocate_client, manager, client, defaults, django_assert_max_num_queries, n
):
    from ovation.ledger.services import ledger_credit
    from ovation.users.services import api_token_create

    for i in range(n):
        ledger_credit(contact=AdvocateFactory(), points=10 + i, idempotency_key=f"q:{i}")
    with django_assert_max_num_queries(9):
        assert advocate_client.get(reverse("hub:leaderboard") + "?board=all").status_code == 200
    _, raw = api_token_create(user=manager, scope="read")
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/submissions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
