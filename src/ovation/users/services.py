from django.db import transaction
from django.utils import timezone

from ovation.core.errors import ServiceError

from .models import ApiToken, User


@transaction.atomic
def user_create(*, email: str, role: str, password: str | None = None, full_name: str = "") -> User:
    email = email.strip().lower()
    if role not in User.Role.values:
        raise ServiceError(f"unknown role {role!r}", field="role")
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(f"a user with email {email} already exists", field="email")
    return User.objects.create_user(
        email, password, role=role, full_name=full_name, is_staff=role == User.Role.ADMIN
    )


@transaction.atomic
def api_token_create(
    *, user: User, scope: str = ApiToken.Scope.READ, name: str = ""
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored or shown again."""
    if scope not in ApiToken.Scope.values:
        raise ServiceError(f"unknown scope {scope!r}", field="scope")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, scope=scope, name=name, prefix=raw[:12], key_hash=ApiToken.hash(raw)
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
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
