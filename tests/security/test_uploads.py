"""Uploaded files are checked for type and size and are never served as HTML: CSV imports,
reward images, challenge proof files and referral program images."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ovation.core.errors import ServiceError
from ovation.users.models import User

from .conftest import make_advocate

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


# --- CSV import ------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client):
    client.force_login(User.objects.create_user("m@acme.test", role="manager"))
    return client


def _upload(client, name, data):
    return client.post(
        "/import/",
        {"kind": "contacts", "preset": "generic", "file": SimpleUploadedFile(name, data)},
    )


def test_import_refuses_a_non_csv_file_and_keeps_nothing(manager_client):
    from ovation.directory.import_models import ImportJob

    response = _upload(manager_client, "page.html", HTML)
    assert response.status_code == 400
    assert "is not a CSV file" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_import_refuses_a_file_over_the_size_limit(manager_client, monkeypatch):
    from ovation.directory.import_models import ImportJob
    from ovation.directory.imports import jobs

    monkeypatch.setattr(jobs, "MAX_UPLOAD_BYTES", 1000)
    response = _upload(manager_client, "big.csv", b"email\n" + b"a@b.test\n" * 200)
    assert "the limit is" in response.content.decode()
    assert ImportJob.objects.count() == 0


# --- reward images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HTML, "must be a PNG or an SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "contains scripts"),
        (b"<svg><script>alert(1)</script></svg>", "contains scripts"),
        (b"", "empty"),
        (PNG + b"\x00" * 600_000, "the limit is"),
    ],
)
def test_reward_image_refuses_html_scripted_svg_empty_and_oversized(data, message):
    from ovation.rewards.services import reward_image_clean

    with pytest.raises(ServiceError) as caught:
        reward_image_clean(data=data, filename="x.png")
    assert message in caught.value.message
    assert caught.value.field == "image"


def test_reward_image_is_served_as_an_image_sandboxed_never_html(client):
    from ovation.rewards.models import Reward

    reward = Reward.objects.create(name="Mug", cost=100, image_data=PNG, image_type="image/png")
    assert client.get(f"/rewards/image/{reward.pk}/").status_code == 404  # anonymous
    client.force_login(make_advocate("ada@customer.test").user)
    response = client.get(f"/rewards/image/{reward.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# --- challenge proof files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("proof.html", HTML, "upload a PDF, image"),
        ("proof.svg", b"<svg/>", "upload a PDF, image"),
        ("proof.png", HTML, "looks like a web page"),
        ("proof.txt", b"hello <SCRIPT>alert(1)</SCRIPT>", "looks like a web page"),
    ],
)
def test_proof_file_refuses_html_in_any_disguise(name, data, message):
    from ovation.hub.services.challenges import _validate_file

    with pytest.raises(ServiceError) as caught:
        _validate_file(SimpleUploadedFile(name, data))
    assert message in caught.value.message
    assert caught.value.field == "proof_file"


def test_proof_file_over_five_megabytes_is_refused():
    from ovation.hub.services.challenges import _validate_file

    upload = SimpleUploadedFile("proof.pdf", b"%PDF" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(ServiceError, match="the limit is 5 MB"):
        _validate_file(upload)


def test_proof_file_is_served_as_a_sandboxed_download_to_its_owner_only(client, settings, tmp_path):
    from ovation.hub.tests.factories import SubmissionFactory

    settings.MEDIA_ROOT = tmp_path
    owner = make_advocate("owner@customer.test")
    other = make_advocate("other@customer.test")
    submission = SubmissionFactory(contact=owner)
    submission.proof_file.save("proof.txt", io.BytesIO(b"my proof"), save=True)
    client.force_login(owner.user)
    response = client.get(f"/hub/submissions/{submission.pk}/proof/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    client.force_login(other.user)
    assert client.get(f"/hub/submissions/{submission.pk}/proof/").status_code == 404


# --- referral program image -------------------------------------------------------------------


def _program_post(client, slug, image=None, **extra):
    data = {
        "name": "Partners",
        "slug": slug,
        "is_active": "on",
        "headline": "Partner up",
        "attribution_window_days": "365",
        "pipeline_policy": "no_credit",
        "velocity_per_hour": "5",
        "velocity_per_day": "20",
        "reward_cap_count": "10",
        "reward_cap_points": "10000",
        **extra,
    }
    if image is not None:
        data["image"] = image
    return client.post("/referrals/programs/new/", data)


def test_referral_program_image_is_checked_by_content_and_served_sandboxed(manager_client):
    """An HTML file named .png is refused by the form, naming the field, and nothing is
    stored; a real PNG is kept in the database and served from the app (no media server),
    with a sandbox CSP and nosniff, to anyone who can see the landing page."""
    from ovation.referrals.models import ReferralProgram

    refused = _program_post(manager_client, "bad", SimpleUploadedFile("photo.png", HTML))
    assert refused.status_code == 400
    assert "must be a PNG, JPEG, GIF or WebP file" in str(refused.context["form"].errors["image"])
    assert not ReferralProgram.objects.filter(slug="bad").exists()

    saved = _program_post(manager_client, "partners", SimpleUploadedFile("any-name.bin", PNG))
    assert saved.status_code == 302
    manager_client.logout()
    landing = manager_client.get("/refer/partners/").content.decode()
    assert 'src="/refer/partners/image?v=' in landing
    image = manager_client.get("/refer/partners/image")
    assert (image.status_code, image["Content-Type"], image.content) == (200, "image/png", PNG)
    assert "sandbox" in image["Content-Security-Policy"]
    assert image["X-Content-Type-Options"] == "nosniff"
    again = manager_client.get("/refer/partners/image", HTTP_IF_NONE_MATCH=image["ETag"])
    assert again.status_code == 304
    # A paused program's picture is gone with its landing page.
    ReferralProgram.objects.filter(slug="partners").update(is_active=False)
    assert manager_client.get("/refer/partners/image").status_code == 404


def test_media_files_are_not_served_by_the_app_outside_debug(client, settings, tmp_path):
    """With DEBUG off the app serves no /media/ URL at all, so an upload can never come back
    as a page from Ovation's origin (see docs/security.md for the reverse-proxy rule)."""
    assert settings.DEBUG is False
    assert client.get("/media/referrals/programs/x.png").status_code == 404
