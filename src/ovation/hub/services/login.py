"""Passwordless sign-in: one-time codes and magic links."""

import hashlib
import hmac
import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import ServiceError
from ovation.directory.models import Contact
from ovation.users.models import User

from ..models import (
    HubLoginToken,
    HubProfile,
    token_digest,
)
from ._common import _base_url, _email, _send_after_commit, hub_profile_get

logger = logging.getLogger(__name__)
LOGIN_REQUESTS_PER_EMAIL = 5
LOGIN_REQUEST_WINDOW = 15 * 60

# --- Sign-in ------------------------------------------------------------------------------------


def _email_key(email: str) -> str:
    return "hub-login-email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def login_rate_exceeded(*, email: str) -> bool:
    """Count a sign-in request for this address (whether or not it exists, so the answer
    reveals nothing) and say whether it is over the limit for the window."""
    key = _email_key(email)
    cache.add(key, 0, LOGIN_REQUEST_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOGIN_REQUEST_WINDOW)
        count = 1
    return count > LOGIN_REQUESTS_PER_EMAIL


def advocate_user_for_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return (
        User.objects.filter(
            email__iexact=email,
            role=User.Role.ADVOCATE,
            is_active=True,
            contact__is_active=True,
        )
        .select_related("contact")
        .first()
    )


@transaction.atomic
def login_token_request(*, email: str, ip: str | None = None) -> HubLoginToken | None:
    """Email a one-time code and a magic link to an advocate. Returns the token, or None for
    an address that is not an active advocate (the caller answers the same either way)."""
    user = advocate_user_for_email(email)
    if user is None:
        return None
    code = HubLoginToken.new_code()
    secret = HubLoginToken.new_link_secret()
    token = HubLoginToken.objects.create(
        user=user,
        code_hash=token_digest(f"{user.pk}:{code}"),
        link_hash=token_digest(secret),
        expires_at=timezone.now() + timedelta(seconds=HubLoginToken.LIFETIME_SECONDS),
        requested_ip=ip,
    )
    link = _base_url() + reverse("hub:login-link", args=[secret])
    contact = user.contact
    message = _email(
        user.email,
        f"Your sign-in code: {code[:4]} {code[4:]}",
        "login",
        {"code": f"{code[:4]} {code[4:]}", "link": link, "contact": contact, "minutes": 10},
    )
    _send_after_commit([message])
    # The console mail backend prints it in development ("the code is in the server console").
    return token


def _consume(token_id: int) -> bool:
    """Use a token once: a conditional UPDATE, so two requests racing with the same code or
    link cannot both sign in."""
    now = timezone.now()
    return bool(
        HubLoginToken.objects.filter(
            pk=token_id,
            used_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=HubLoginToken.MAX_ATTEMPTS,
        ).update(used_at=now)
    )


def _burn_others(user: User) -> None:
    HubLoginToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


INVALID_CODE = (
    "That code is not right or has expired. Check the latest email, or ask for a new code."
)


def login_code_verify(*, email: str, code: str) -> User:
    """Sign in with the emailed code. Wrong guesses count against the newest open token
    (5 per token); raises ServiceError(field="code") when the code is not valid. Not one
    transaction on purpose: the wrong-guess count must stick when the error is raised."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    user = advocate_user_for_email(email)
    if user is None or len(code) != 8:
        raise ServiceError(INVALID_CODE, field="code")
    digest = token_digest(f"{user.pk}:{code}")
    open_tokens = list(
        HubLoginToken.objects.filter(
            user=user,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            attempts__lt=HubLoginToken.MAX_ATTEMPTS,
        ).order_by("-created_at")[:5]
    )
    for token in open_tokens:
        if hmac.compare_digest(token.code_hash, digest):
            with transaction.atomic():
                if _consume(token.pk):
                    _burn_others(user)
                    return user
    if open_tokens:
        HubLoginToken.objects.filter(pk=open_tokens[0].pk).update(attempts=F("attempts") + 1)
    raise ServiceError(INVALID_CODE, field="code")


def login_link_peek(*, secret: str) -> HubLoginToken | None:
    """The token behind a magic link, if still usable. Reading never consumes it: mail
    scanners open links before people do."""
    token = (
        HubLoginToken.objects.select_related("user")
        .filter(link_hash=token_digest(secret or ""))
        .first()
    )
    if token is None or not token.is_usable:
        return None
    return token


@transaction.atomic
def login_link_consume(*, secret: str) -> User:
    token = login_link_peek(secret=secret)
    if token is None or not _consume(token.pk):
        raise ServiceError("This sign-in link has expired or was already used.", field="link")
    _burn_others(token.user)
    return token.user


@transaction.atomic
def hub_login_record(*, contact: Contact) -> HubProfile:
    profile = hub_profile_get(contact=contact)
    now = timezone.now()
    updates = {"last_seen_at": now}
    if profile.first_login_at is None:
        updates["first_login_at"] = now
    HubProfile.objects.filter(pk=profile.pk).update(**updates)
    activity_record(kind="hub.login", contact=contact, source="hub", publish=False)
    return profile
