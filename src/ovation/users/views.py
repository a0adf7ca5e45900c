"""Staff settings: user management (admins) and personal API tokens (every staff member)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import permission_required

from .models import ApiToken, User
from .services import api_token_create, api_token_revoke, user_create

STAFF_ROLES = [(value, label) for value, label in User.Role.choices if value != User.Role.ADVOCATE]


class UserCreateForm(forms.Form):
    email = forms.EmailField(label="Email")
    full_name = forms.CharField(max_length=200, required=False, label="Full name")
    role = forms.ChoiceField(choices=STAFF_ROLES, initial=User.Role.SALES)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional: without one, they sign in with an emailed code or reset it.",
    )

    def clean_password(self):
        from django.contrib.auth.password_validation import validate_password

        password = self.cleaned_data.get("password") or None
        if password:
            validate_password(password)
        return password


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="What is it for?",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Salesforce sync"}),
    )
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)


# Writes that users/services.py does not have yet (kept small and atomic here).
@transaction.atomic
def _user_role_change(*, user: User, role: str) -> User:
    if role not in dict(STAFF_ROLES):
        raise ServiceError(f"unknown role {role!r}", field="role")
    user.role = role
    user.is_staff = role == User.Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    return user


@transaction.atomic
def _user_active_set(*, user: User, is_active: bool) -> User:
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        # A deactivated user's tokens stop working at once (auth also checks is_active).
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    return user


def _access_staff_user(user_id: int) -> User:
    user = User.objects.exclude(role=User.Role.ADVOCATE).filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


@permission_required("ovation.manage_users")
@require_http_methods(["GET", "POST"])
def user_list(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = user_create(**form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"{created.email} can now sign in as {created.get_role_display()}."
            )
            return redirect("users:user-list")
    users = User.objects.exclude(role=User.Role.ADVOCATE).order_by(
        "-is_active", "full_name", "email"
    )
    return render(
        request,
        "users/user_list.html",
        {"users": users, "form": form, "roles": STAFF_ROLES},
    )


@permission_required("ovation.manage_users")
@require_POST
def user_update(request, user_id: int):
    user = _access_staff_user(user_id)
    action = request.POST.get("action")
    if user.pk == request.user.pk and action in {"deactivate", "role"}:
        messages.error(request, "You cannot change your own role or deactivate yourself.")
        return redirect("users:user-list")
    if action == "role":
        try:
            _user_role_change(user=user, role=request.POST.get("role", ""))
        except ServiceError as exc:
            messages.error(request, f"{user.email}: {exc.field}: {exc.message}")
        else:
            messages.success(request, f"{user.email} is now {user.get_role_display()}.")
    elif action in {"deactivate", "activate"}:
        _user_active_set(user=user, is_active=action == "activate")
        messages.success(
            request, f"{user.email} {'reactivated' if user.is_active else 'deactivated'}."
        )
    else:
        messages.error(request, "Unknown action.")
    return redirect("users:user-list")


@permission_required("ovation.view_directory")
@require_http_methods(["GET", "POST"])
def token_list(request):
    """Any staff member's own API tokens; a new token is shown exactly once."""
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = api_token_create(
            user=request.user, scope=form.cleaned_data["scope"], name=form.cleaned_data["name"]
        )
        form = TokenCreateForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    response = render(
        request,
        "users/token_list.html",
        {"tokens": tokens, "form": form, "new_token": new_token},
    )
    response["Cache-Control"] = "no-store"
    return response


@permission_required("ovation.view_directory")
@require_POST
def token_revoke(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    if token.revoked_at is None:
        api_token_revoke(token=token)
        messages.success(request, f"Token {token.name or token.prefix} revoked.")
    return redirect("users:token-list")


urlpatterns = [
    path("settings/users/", user_list, name="user-list"),
    path("settings/users/<int:user_id>/", user_update, name="user-update"),
    path("settings/tokens/", token_list, name="token-list"),
    path("settings/tokens/<int:token_id>/revoke/", token_revoke, name="token-revoke"),
]
