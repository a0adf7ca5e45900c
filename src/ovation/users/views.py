"""Staff settings: user management (admins) and personal API tokens (every staff member)."""

from django import forms
from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page

from .audit import audit_record
from .models import ApiToken, AuditEvent, User
from .services import (
    api_token_create,
    api_token_revoke,
    user_active_set,
    user_create,
    user_role_change,
)

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
            created = user_create(**form.cleaned_data, actor=request.user)
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
            role = request.POST.get("role", "")
            if role not in dict(STAFF_ROLES):
                raise ServiceError(f"unknown role {role!r}", field="role")
            user_role_change(user=user, role=role, actor=request.user)
        except ServiceError as exc:
            messages.error(request, f"{user.email}: {exc.field}: {exc.message}")
        else:
            messages.success(request, f"{user.email} is now {user.get_role_display()}.")
    elif action in {"deactivate", "activate"}:
        user_active_set(user=user, is_active=action == "activate", actor=request.user)
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
            user=request.user,
            scope=form.cleaned_data["scope"],
            name=form.cleaned_data["name"],
            actor=request.user,
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
        api_token_revoke(token=token, actor=request.user)
        messages.success(request, f"Token {token.name or token.prefix} revoked.")
    return redirect("users:token-list")


# The settings index: (label, url name, permission, what it is for). Entries whose URL does not
# resolve or whose permission the user lacks are hidden.
SETTINGS_LINKS = [
    (
        "Staff users",
        "users:user-list",
        "ovation.manage_users",
        "who can sign in, and with which role",
    ),
    ("API tokens", "users:token-list", "ovation.view_directory", "your tokens for integrations"),
    ("Audit log", "users:audit-list", "ovation.view_audit", "who did what, when, from where"),
    (
        "Taxonomies",
        "directory:taxonomy-list",
        "ovation.manage_taxonomies",
        "industries, regions, products",
    ),
    (
        "Advocate definition",
        "pulse:definition",
        "ovation.manage_pulse",
        "what makes a promoter, advocate, champion",
    ),
    (
        "Fatigue policy",
        "references:policy",
        "ovation.manage_references",
        "how often anyone may be asked",
    ),
    (
        "Jobs",
        "automations:jobs",
        "ovation.manage_programs",
        "background work, failures and retries",
    ),
    (
        "Webhooks",
        "automations:endpoint-list",
        "ovation.manage_programs",
        "systems that hear about events",
    ),
]


@permission_required("ovation.view_directory")
def settings_index(request):
    links = []
    for label, url_name, perm, hint in SETTINGS_LINKS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if request.user.has_perm(perm):
            links.append({"label": label, "url": url, "hint": hint})
    return render(request, "users/settings_index.html", {"links": links})


@permission_required("ovation.view_audit")
def audit_list(request):
    """The audit log for admins: filter by action, actor or target; export as CSV."""
    qs = AuditEvent.objects.all()
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    target = request.GET.get("target", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if target:
        qs = qs.filter(target_label__icontains=target)
    if request.GET.get("format") == "csv":
        audit_record(
            action="audit.exported", actor=request.user, data={"filters": request.GET.dict()}
        )
        response = StreamingHttpResponse(_audit_csv(qs.iterator()), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="ovation-audit.csv"'
        return response
    context = {
        "action": action,
        "actor": actor,
        "target": target,
        **paginate(request, qs, per_page=50),
    }
    return render_page(
        request, "users/audit_list.html", "users/partials/_audit_table.html", context
    )


def _audit_csv(rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [
        "created_at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "ip",
        "data",
    ]
    writer.writerow(columns)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([getattr(row, c) for c in columns])
        yield buffer.getvalue()


urlpatterns = [
    path("settings/", settings_index, name="settings"),
    path("settings/audit/", audit_list, name="audit-list"),
    path("settings/users/", user_list, name="user-list"),
    path("settings/users/<int:user_id>/", user_update, name="user-update"),
    path("settings/tokens/", token_list, name="token-list"),
    path("settings/tokens/<int:token_id>/revoke/", token_revoke, name="token-revoke"),
]
