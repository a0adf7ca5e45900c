import pytest
from django.core.management import call_command

from ovation.users.models import User


@pytest.mark.django_db
def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


@pytest.mark.django_db
def test_home_requires_login_then_shows_the_staff_dashboard(client):
    assert client.get("/").status_code == 302
    user = User.objects.create_user("m@example.com", "pw-123456789", role=User.Role.MANAGER)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Customer accounts" in response.content


@pytest.mark.django_db
def test_advocate_is_sent_to_the_hub_from_the_staff_home(client):
    user = User.objects.create_user("a@example.com", role=User.Role.ADVOCATE)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/hub/"


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Ovation API"


def test_static_files_collect_with_the_production_storage(tmp_path, settings):
    """`ovation serve` runs collectstatic with the manifest storage: every file must post-process."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
