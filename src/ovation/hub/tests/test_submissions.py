"""Completing challenges: proof, quiz scoring, limits, approval credits once, rejection
reasons the advocate sees."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ovation.activity.models import Activity
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.hub import services
from ovation.hub.models import Challenge, Submission, SubmissionEvent
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get

from .factories import AdvocateFactory, ChallengeFactory, QuestionFactory


def _quiz(**kwargs):
    quiz = ChallengeFactory(kind=Challenge.Kind.QUIZ, approval_mode="auto", points=80, **kwargs)
    q1 = QuestionFactory(
        challenge=quiz,
        prompt="Which product forecasts?",
        options=["Dashboards", "Forecast"],
        correct_option=1,
    )
    q2 = QuestionFactory(
        challenge=quiz,
        prompt="Capital of Belgium?",
        options=[],
        correct_option=None,
        answer_text="Brussels",
    )
    q3 = QuestionFactory(challenge=quiz, prompt="2 + 2?", options=["3", "4", "5"], correct_option=1)
    return quiz, q1, q2, q3


@pytest.mark.django_db
def test_quiz_is_scored_and_a_perfect_score_is_approved_with_points(advocate, defaults):
    quiz, q1, q2, q3 = _quiz()
    submission = services.submission_create(
        challenge=quiz,
        contact=advocate,
        answers={str(q1.pk): "1", str(q2.pk): "  brussels ", str(q3.pk): "1"},
    )
    assert (submission.score, submission.score_total) == (3, 3)
    assert submission.status == Submission.Status.APPROVED
    assert balance_get(contact=advocate).spendable == 80
    assert balance_get(contact=advocate).lifetime == 80


@pytest.mark.django_db
def test_failed_quiz_awards_nothing_and_can_be_retried(advocate, defaults):
    quiz, q1, q2, q3 = _quiz(pass_mark_percent=100)
    failed = services.submission_create(
        challenge=quiz,
        contact=advocate,
        answers={str(q1.pk): "0", str(q2.pk): "Paris", str(q3.pk): "1"},
    )
    assert failed.status == Submission.Status.FAILED
    assert (failed.score, failed.score_total) == (1, 3)
    assert failed.slot is None
    assert balance_get(contact=advocate).spendable == 0
    quiz.refresh_from_db()
    assert quiz.completions_count == 0
    passed = services.submission_create(
        challenge=quiz,
        contact=advocate,
        answers={str(q1.pk): "1", str(q2.pk): "Brussels", str(q3.pk): "1"},
    )
    assert passed.status == Submission.Status.APPROVED


@pytest.mark.django_db
def test_pass_mark_below_100_accepts_partial_scores(advocate, defaults):
    quiz, q1, q2, q3 = _quiz(pass_mark_percent=60)
    submission = services.submission_create(
        challenge=quiz,
        contact=advocate,
        answers={str(q1.pk): "1", str(q2.pk): "nope", str(q3.pk): "1"},
    )
    assert submission.status == Submission.Status.APPROVED and submission.score == 2


def test_quiz_scoring_is_pure():
    from ovation.hub.models import ChallengeQuestion

    questions = [
        ChallengeQuestion(pk=1, prompt="a", options=["x", "y"], correct_option=1),
        ChallengeQuestion(pk=2, prompt="b", options=[], answer_text="Forty Two"),
        ChallengeQuestion(pk=3, prompt="c", options=["x", "y"], correct_option=0),
    ]
    assert services.quiz_score(questions, {"1": "1", "2": "forty two", "3": "1"}) == (2, 3)
    assert services.quiz_score(questions, {}) == (0, 3)
    assert services.quiz_score(questions, {"1": "one", "2": "", "3": "0"}) == (1, 3)


@pytest.mark.django_db
def test_review_challenge_needs_approval_and_approval_credits_once(advocate, manager, defaults):
    challenge = ChallengeFactory(points=150, proof_kind="url")
    submission = services.submission_create(
        challenge=challenge, contact=advocate, proof_url="https://g2.com/reviews/123"
    )
    assert submission.status == Submission.Status.PENDING
    assert balance_get(contact=advocate).spendable == 0

    first, changed_first = services.submission_approve(submission=submission, actor=manager)
    second, changed_second = services.submission_approve(submission=submission, actor=manager)
    assert (changed_first, changed_second) == (True, False)
    assert balance_get(contact=advocate).spendable == 150
    assert (
        LedgerEntry.objects.filter(idempotency_key=f"submission:{submission.pk}:approve").count()
        == 1
    )
    assert Activity.objects.filter(kind="challenge.completed", contact=advocate).count() == 1
    assert first.reviewed_by == manager and first.points_awarded == 150
    assert list(
        SubmissionEvent.objects.filter(submission=submission).values_list("status", flat=True)
    ) == [
        "pending",
        "approved",
    ]


@pytest.mark.django_db
def test_rejection_reason_is_shown_to_the_advocate_and_frees_the_place(
    advocate_client, advocate, manager, defaults
):
    challenge = ChallengeFactory(points=100, proof_kind="text", total_limit=1)
    submission = services.submission_create(
        challenge=challenge, contact=advocate, proof_text="I spoke at the meetup"
    )
    challenge.refresh_from_db()
    assert challenge.completions_count == 1
    services.submission_reject(
        submission=submission, actor=manager, reason="Please add the event name"
    )
    challenge.refresh_from_db()
    assert challenge.completions_count == 0
    page = advocate_client.get(
        reverse("hub:challenge-detail", args=[challenge.pk])
    ).content.decode()
    assert "Please add the event name" in page
    assert balance_get(contact=advocate).spendable == 0
    # The advocate may try again.
    again = services.submission_create(
        challenge=challenge, contact=advocate, proof_text="Acme meetup Ghent"
    )
    assert again.status == Submission.Status.PENDING and again.slot == 1


@pytest.mark.django_db
def test_reject_needs_a_reason_and_changes_nothing_without_one(advocate, manager):
    challenge = ChallengeFactory()
    submission = services.submission_create(challenge=challenge, contact=advocate)
    with pytest.raises(ServiceError) as exc:
        services.submission_reject(submission=submission, actor=manager, reason=" ")
    assert exc.value.field == "reason"
    submission.refresh_from_db()
    assert submission.status == Submission.Status.PENDING


@pytest.mark.django_db
def test_approved_submission_cannot_be_rejected_and_rejected_cannot_be_approved(advocate, manager):
    a = services.submission_create(challenge=ChallengeFactory(), contact=advocate)
    services.submission_approve(submission=a, actor=manager)
    with pytest.raises(Conflict):
        services.submission_reject(submission=a, actor=manager, reason="changed my mind")
    b = services.submission_create(challenge=ChallengeFactory(), contact=advocate)
    services.submission_reject(submission=b, actor=manager, reason="no proof")
    with pytest.raises(Conflict):
        services.submission_approve(submission=b, actor=manager)
    assert balance_get(contact=advocate).spendable == a.challenge.points


@pytest.mark.django_db
def test_per_person_limit(advocate):
    challenge = ChallengeFactory(per_person_limit=2, approval_mode="auto", points=10)
    services.submission_create(challenge=challenge, contact=advocate)
    services.submission_create(challenge=challenge, contact=advocate)
    with pytest.raises(Conflict, match="maximum 2 times"):
        services.submission_create(challenge=challenge, contact=advocate)
    assert Submission.objects.filter(challenge=challenge).count() == 2
    assert balance_get(contact=advocate).spendable == 20


@pytest.mark.django_db
def test_total_limit(advocate, other_advocate):
    challenge = ChallengeFactory(total_limit=1)
    services.submission_create(challenge=challenge, contact=advocate)
    with pytest.raises(Conflict, match="All places"):
        services.submission_create(challenge=challenge, contact=other_advocate)
    assert Submission.objects.filter(challenge=challenge).count() == 1


@pytest.mark.django_db
def test_proof_is_checked(advocate):
    url = ChallengeFactory(proof_kind="url")
    with pytest.raises(ServiceError) as exc:
        services.submission_create(challenge=url, contact=advocate, proof_url="javascript:alert(1)")
    assert exc.value.field == "proof_url"
    text = ChallengeFactory(proof_kind="text")
    with pytest.raises(ServiceError) as exc:
        services.submission_create(challenge=text, contact=advocate, proof_text="")
    assert exc.value.field == "proof_text"
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_file_upload_type_and_size_limits(advocate, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    challenge = ChallengeFactory(proof_kind="file", per_person_limit=3)
    for name, content, message in [
        ("page.html", b"<html><script>alert(1)</script></html>", "upload a PDF"),
        ("logo.svg", b"<svg onload=alert(1)></svg>", "upload a PDF"),
        ("fake.png", b"<html><body>hi</body></html>", "looks like a web page"),
        ("big.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024 + 1), "the limit is 5 MB"),
    ]:
        with pytest.raises(ServiceError, match=message):
            services.submission_create(
                challenge=challenge, contact=advocate, proof_file=SimpleUploadedFile(name, content)
            )
    assert Submission.objects.count() == 0
    ok = services.submission_create(
        challenge=challenge,
        contact=advocate,
        proof_file=SimpleUploadedFile("Screenshot 1.PNG", b"\x89PNG\r\n\x1a\nxxxx"),
    )
    assert ok.proof_file.name.endswith(".png") and ok.proof_file_name == "Screenshot 1.PNG"


@pytest.mark.django_db
def test_uploaded_proof_is_served_as_a_download_never_html(
    advocate_client, advocate, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    challenge = ChallengeFactory(proof_kind="file")
    submission = services.submission_create(
        challenge=challenge,
        contact=advocate,
        proof_file=SimpleUploadedFile("notes.txt", b"my talk notes"),
    )
    response = advocate_client.get(reverse("hub:submission-proof", args=[submission.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_challenge_outside_audience_or_not_live_cannot_be_completed(advocate):
    advocate.stage = "customer"
    advocate.save()
    champions_only = ChallengeFactory(audience_stages=["champion"])
    with pytest.raises(NotFound):
        services.submission_create(challenge=champions_only, contact=advocate)
    draft = ChallengeFactory(status="draft")
    with pytest.raises(Conflict):
        services.submission_create(challenge=draft, contact=advocate)
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_advocate_completes_through_the_page(advocate_client, advocate, defaults):
    challenge = ChallengeFactory(proof_kind="url", points=40)
    url = reverse("hub:challenge-detail", args=[challenge.pk])
    bad = advocate_client.post(url, {"proof_url": "not a link"})
    assert bad.status_code == 400 and "paste the link" in bad.content.decode()
    assert Submission.objects.count() == 0
    good = advocate_client.post(url, {"proof_url": "https://www.linkedin.com/posts/123"})
    assert good.status_code == 302
    page = advocate_client.get(url).content.decode()
    assert "Waiting for review" in page


@pytest.mark.django_db
def test_bulk_approve_from_the_queue(manager_client, defaults):
    challenge = ChallengeFactory(points=25)
    subs = [
        services.submission_create(challenge=challenge, contact=AdvocateFactory()) for _ in range(3)
    ]
    response = manager_client.post(reverse("hub:staff-review"), {"ids": [subs[0].pk, subs[1].pk]})
    assert response.status_code == 302
    statuses = {s.pk: s.status for s in Submission.objects.all()}
    assert statuses == {subs[0].pk: "approved", subs[1].pk: "approved", subs[2].pk: "pending"}
    assert sorted(balance_get(contact=s.contact).spendable for s in subs) == [0, 25, 25]


@pytest.mark.django_db
def test_reject_from_the_page_with_reason(manager_client, advocate):
    submission = services.submission_create(challenge=ChallengeFactory(), contact=advocate)
    manager_client.post(
        reverse("hub:staff-submission-reject", args=[submission.pk]), {"reason": "Link is broken"}
    )
    submission.refresh_from_db()
    assert submission.status == "rejected" and submission.reject_reason == "Link is broken"
