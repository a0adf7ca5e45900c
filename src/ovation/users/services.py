from django.db import transaction
from django.utils import timezone

from ovation.core.errors import ServiceError

from .audit import audit_record
from .models import ApiToken, User


@transaction.atomic
def user_create(
    *, email: str, role: str, password: str | None = None, full_name: str = "", actor=None
) -> User:
    email = email.strip().lower()
    if role not in User.Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(f"a user with email {email} already exists", field="email")
    user = User.objects.create_user(
        email, password, role=role, full_name=full_name, is_staff=role == User.Role.ADMIN
    )
    audit_record(action="user.created", actor=actor, target=user, data={"role": role})
    return user


@transaction.atomic
def user_role_change(*, user: User, role: str, actor=None) -> User:
    """Change a user's role (audited). Advocates are linked to contacts and keep their role."""
    if role not in User.Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    old = user.role
    if old == role:
        return user
    user.role = role
    user.is_staff = role == User.Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    audit_record(
        action="user.role_changed", actor=actor, target=user, data={"from": old, "to": role}
    )
    return user


@transaction.atomic
def user_active_set(*, user: User, is_active: bool, actor=None) -> User:
    """Deactivate (revoking the user's API tokens at once) or reactivate a user; audited."""
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        action="user.activated" if is_active else "user.deactivated", actor=actor, target=user
    )
    return user


@transaction.atomic
def api_token_create(
    *, user: User, scope: str = ApiToken.Scope.READ, name: str = "", actor=None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored or shown again."""
    if scope not in ApiToken.Scope.values:
        raise ServiceError(f"unknown scope {scope!r}", field="scope")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, scope=scope, name=name, prefix=raw[:12], key_hash=ApiToken.hash(raw)
    )
    audit_record(
        action="api_token.created",
        actor=actor or user,
        target=token,
        data={"scope": scope, "for": user.email},
    )
    return token, raw


def api_token_authenticate(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(action="api_token.revoked", actor=actor, target=token)
    return token
