"""Admin user management and personal API tokens."""

import pytest
from django.urls import reverse

from ovation.users.models import ApiToken, User
from ovation.users.services import api_token_authenticate

pytestmark = pytest.mark.django_db


def _user(role, email=None, password="pw-correct-horse-1"):  # noqa: S107
    return User.objects.create_user(email or f"{role}@acme.test", password, role=role)


@pytest.fixture
def admin_client(client):
    admin = _user(User.Role.ADMIN)
    client.force_login(admin)
    client.admin = admin
    return client


def test_admin_creates_a_staff_user_who_can_sign_in(admin_client, client):
    response = admin_client.post(
        reverse("users:user-list"),
        {
            "email": "New.Rep@Acme.test",
            "full_name": "New Rep",
            "role": "sales",
            "password": "a-long-secret-9876",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.rep@acme.test")
    assert (user.role, user.full_name, user.check_password("a-long-secret-9876")) == (
        "sales",
        "New Rep",
        True,
    )


def test_creating_a_duplicate_or_bad_user_names_the_field(admin_client):
    _user(User.Role.SALES, "dup@acme.test")
    dup = admin_client.post(reverse("users:user-list"), {"email": "DUP@acme.test", "role": "sales"})
    bad = admin_client.post(
        reverse("users:user-list"), {"email": "x@acme.test", "role": "advocate"}
    )
    assert "email" in dup.context["form"].errors
    assert "role" in bad.context["form"].errors
    assert User.objects.count() == 2


def test_admin_changes_a_role_and_deactivates(admin_client):
    rep = _user(User.Role.SALES)
    url = reverse("users:user-update", args=[rep.pk])
    admin_client.post(url, {"action": "role", "role": "csm"})
    rep.refresh_from_db()
    assert rep.role == "csm"

    admin_client.post(url, {"action": "deactivate"})
    rep.refresh_from_db()
    assert rep.is_active is False


def test_deactivating_revokes_the_users_tokens(admin_client, client):
    from ovation.users.services import api_token_create

    rep = _user(User.Role.SALES)
    _, raw = api_token_create(user=rep, scope="read")
    admin_client.post(reverse("users:user-update", args=[rep.pk]), {"action": "deactivate"})
    assert api_token_authenticate(raw) is None


def test_admin_cannot_demote_or_deactivate_themselves(admin_client):
    url = reverse("users:user-update", args=[admin_client.admin.pk])
    admin_client.post(url, {"action": "deactivate"})
    admin_client.post(url, {"action": "role", "role": "sales"})
    admin_client.admin.refresh_from_db()
    assert (admin_client.admin.is_active, admin_client.admin.role) == (True, "admin")


def test_only_admins_manage_users(client):
    manager = _user(User.Role.MANAGER)
    rep = _user(User.Role.SALES)
    client.force_login(manager)
    assert client.get(reverse("users:user-list")).status_code == 403
    assert (
        client.post(
            reverse("users:user-update", args=[rep.pk]), {"action": "deactivate"}
        ).status_code
        == 403
    )
    rep.refresh_from_db()
    assert rep.is_active is True


def test_staff_creates_a_token_shown_once_and_revokes_it(client):
    rep = _user(User.Role.SALES)
    client.force_login(rep)

    response = client.post(reverse("users:token-list"), {"name": "Salesforce", "scope": "read"})
    raw = response.context["new_token"]
    token = ApiToken.objects.get(user=rep)
    assert raw.startswith("ovt_") and raw.encode() in response.content
    assert api_token_authenticate(raw) == token
    again = client.get(reverse("users:token-list"))
    assert raw.encode() not in again.content

    client.post(reverse("users:token-revoke", args=[token.pk]))
    assert api_token_authenticate(raw) is None


def test_cannot_revoke_someone_elses_token(client):
    from ovation.users.services import api_token_create

    owner = _user(User.Role.MANAGER)
    token, raw = api_token_create(user=owner, scope="write")
    client.force_login(_user(User.Role.SALES))
    assert client.post(reverse("users:token-revoke", args=[token.pk])).status_code == 404
    assert api_token_authenticate(raw) == token


def test_advocates_have_no_token_page(client):
    client.force_login(_user(User.Role.ADVOCATE))
    assert client.get(reverse("users:token-list")).status_code == 403


def test_login_page_renders_and_signs_in_to_home(client):
    _user(User.Role.MANAGER, "m@acme.test")
    page = client.get("/auth/login/")
    assert page.status_code == 200
    response = client.post(
        "/auth/login/", {"login": "m@acme.test", "password": "pw-correct-horse-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signup_is_closed(client):
    response = client.post(
        "/auth/signup/",
        {"email": "intruder@x.test", "password1": "xx-long-pass-1", "password2": "xx-long-pass-1"},
    )
    assert not User.objects.filter(email="intruder@x.test").exists()
    assert response.status_code in (200, 302, 403)
