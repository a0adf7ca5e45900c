"""An advocate sees and acts on only their own data; staff pages and the API need
ovation.manage_programs. Denied actions change nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ovation.hub import services
from ovation.hub.models import Challenge, Submission
from ovation.ledger.services import balance_get
from ovation.users.models import User
from ovation.users.services import api_token_create

from .factories import ChallengeFactory, StaffFactory

STAFF_PAGES = [
    ("get", "hub:staff-home", []),
    ("get", "hub:staff-challenge-list", []),
    ("get", "hub:staff-challenge-create", []),
    ("post", "hub:staff-challenge-create", []),
    ("post", "hub:staff-challenge-preview", []),
    ("get", "hub:staff-review", []),
    ("post", "hub:staff-review", []),
    ("get", "hub:staff-invite", []),
    ("post", "hub:staff-invite", []),
    ("get", "hub:staff-levels", []),
    ("post", "hub:staff-levels", []),
    ("get", "hub:staff-badge-create", []),
    ("get", "hub:staff-ledger", []),
]


@pytest.fixture
def others_submission(other_advocate, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    challenge = ChallengeFactory(proof_kind="file", points=70)
    return services.submission_create(
        challenge=challenge,
        contact=other_advocate,
        proof_file=SimpleUploadedFile("secret.pdf", b"%PDF-1.4 secret"),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method,name,args", STAFF_PAGES)
def test_advocates_cannot_use_staff_pages(advocate_client, method, name, args):
    response = getattr(advocate_client, method)(
        reverse(name, args=args), {"ids": [1], "mode": "single", "emails": "a@b.c"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [User.Role.SALES, User.Role.CSM, User.Role.EXECUTIVE])
def test_staff_without_manage_programs_are_refused(client, role):
    client.force_login(StaffFactory(role=role))
    assert client.get(reverse("hub:staff-review")).status_code == 403
    assert client.get(reverse("hub:staff-home")).status_code == 403


@pytest.mark.django_db
def test_anonymous_staff_pages_redirect_to_login(client):
    response = client.get(reverse("hub:staff-review"))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


@pytest.mark.django_db
def test_advocate_cannot_approve_or_reject_even_their_own(advocate_client, advocate):
    submission = services.submission_create(challenge=ChallengeFactory(points=90), contact=advocate)
    assert (
        advocate_client.post(
            reverse("hub:staff-submission-approve", args=[submission.pk])
        ).status_code
        == 403
    )
    assert (
        advocate_client.post(
            reverse("hub:staff-submission-reject", args=[submission.pk]), {"reason": "x" * 5}
        ).status_code
        == 403
    )
    assert (
        advocate_client.get(reverse("hub:staff-submission", args=[submission.pk])).status_code
        == 403
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.PENDING
    assert balance_get(contact=advocate).spendable == 0


@pytest.mark.django_db
def test_advocate_cannot_download_another_advocates_proof(advocate_client, others_submission):
    response = advocate_client.get(reverse("hub:submission-proof", args=[others_submission.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_manager_can_download_any_proof(manager_client, others_submission):
    response = manager_client.get(reverse("hub:submission-proof", args=[others_submission.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_pages_never_show_another_advocates_submissions(
    advocate_client, advocate, other_advocate, defaults
):
    challenge = ChallengeFactory(title="Speak at our summit", proof_kind="text", points=300)
    services.submission_create(
        challenge=challenge, contact=other_advocate, proof_text="SECRET-PROOF-TEXT"
    )
    for name in ["hub:home", "hub:profile", "hub:challenge-list"]:
        assert "SECRET-PROOF-TEXT" not in advocate_client.get(reverse(name)).content.decode()
    detail = advocate_client.get(
        reverse("hub:challenge-detail", args=[challenge.pk])
    ).content.decode()
    assert "SECRET-PROOF-TEXT" not in detail and "Waiting for review" not in detail
    data = json.loads(advocate_client.get(reverse("hub:data-export")).content)
    assert data["contact"]["email"] == advocate.email
    assert data["submissions"] == []
    assert other_advocate.email not in json.dumps(data)


@pytest.mark.django_db
def test_challenge_hidden_by_audience_is_404_like_a_missing_one(advocate_client, advocate):
    advocate.stage = "customer"
    advocate.save()
    hidden = ChallengeFactory(audience_stages=["champion"])
    draft = ChallengeFactory(status=Challenge.Status.DRAFT)
    for challenge in (hidden, draft):
        assert (
            advocate_client.get(reverse("hub:challenge-detail", args=[challenge.pk])).status_code
            == 404
        )
        assert (
            advocate_client.post(reverse("hub:challenge-detail", args=[challenge.pk])).status_code
            == 404
        )
    assert advocate_client.get(reverse("hub:challenge-detail", args=[999999])).status_code == 404
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_profile_changes_apply_only_to_the_signed_in_advocate(
    advocate_client, advocate, other_advocate
):
    advocate_client.post(
        reverse("hub:profile"),
        {
            "section": "prefs",
            "leaderboard_visibility": "hidden",
            "email_digest": "never",
            "contact": other_advocate.pk,
        },
    )
    advocate.hub_profile.refresh_from_db()
    other_advocate.hub_profile.refresh_from_db()
    assert advocate.hub_profile.leaderboard_visibility == "hidden"
    assert other_advocate.hub_profile.leaderboard_visibility == "name"


@pytest.mark.django_db
def test_deactivated_advocate_is_signed_out_of_the_hub(advocate_client, advocate):
    advocate.is_active = False
    advocate.save()
    assert advocate_client.get(reverse("hub:home")).status_code == 302


# --- API ----------------------------------------------------------------------------------------


def _bearer(user, scope="write"):
    _, raw = api_token_create(user=user, scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


API_CALLS = [
    ("get", "/api/v1/challenges", None),
    ("post", "/api/v1/challenges", {"title": "x"}),
    ("get", "/api/v1/submissions", None),
    ("post", "/api/v1/submissions/{id}/approve", None),
    ("post", "/api/v1/submissions/{id}/reject", {"reason": "nope nope"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("method,path,body", API_CALLS)
def test_api_refuses_advocates_by_session_and_by_token(client, advocate, method, path, body):
    submission = services.submission_create(challenge=ChallengeFactory(points=60), contact=advocate)
    url = path.format(id=submission.pk)
    client.force_login(advocate.user)
    kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
    assert getattr(client, method)(url, **kwargs).status_code == 403
    client.logout()
    assert getattr(client, method)(url, **kwargs, **_bearer(advocate.user)).status_code == 403
    assert getattr(client, method)(url, **kwargs).status_code == 401
    submission.refresh_from_db()
    assert submission.status == "pending" and balance_get(contact=advocate).spendable == 0
    assert Challenge.objects.count() == 1


@pytest.mark.django_db
def test_api_read_token_cannot_approve(client, advocate):
    manager = StaffFactory()
    submission = services.submission_create(challenge=ChallengeFactory(points=60), contact=advocate)
    response = client.post(
        f"/api/v1/submissions/{submission.pk}/approve", **_bearer(manager, "read")
    )
    assert response.status_code == 403
    submission.refresh_from_db()
    assert submission.status == "pending"
