import pytest
from django.urls import reverse

from .factories import ChallengeFactory, QuestionFactory, SubmissionFactory


@pytest.mark.django_db
def test_every_advocate_page_renders(advocate_client, advocate, defaults):
    challenge = ChallengeFactory(
        title="Write a G2 review", kind="review", disclosure_text="I got points"
    )
    quiz = QuestionFactory().challenge
    SubmissionFactory(contact=advocate, challenge=challenge)
    for name, args in [
        ("hub:home", []),
        ("hub:challenge-list", []),
        ("hub:challenge-detail", [challenge.pk]),
        ("hub:challenge-detail", [quiz.pk]),
        ("hub:leaderboard", []),
        ("hub:profile", []),
        ("hub:data-export", []),
    ]:
        response = advocate_client.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.content[:500])


@pytest.mark.django_db
def test_every_staff_page_renders(manager_client, advocate, defaults):
    challenge = ChallengeFactory()
    submission = SubmissionFactory(challenge=challenge)
    for name, args in [
        ("hub:staff-home", []),
        ("hub:staff-challenge-list", []),
        ("hub:staff-challenge-create", []),
        ("hub:staff-challenge-edit", [challenge.pk]),
        ("hub:staff-review", []),
        ("hub:staff-submission", [submission.pk]),
        ("hub:staff-invite", []),
        ("hub:staff-levels", []),
        ("hub:staff-badge-create", []),
        ("hub:staff-ledger", []),
        ("hub:staff-ledger-contact", [advocate.pk]),
    ]:
        response = manager_client.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.content[:800])
