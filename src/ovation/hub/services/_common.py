"""Shared by the hub services: emails after commit, the hub profile."""

import contextlib
import contextvars
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string

from ovation.directory.models import Contact

from ..models import (
    HubProfile,
)

logger = logging.getLogger(__name__)


def _base_url() -> str:
    return settings.OVATION_BASE_URL.rstrip("/")


_muted = contextvars.ContextVar("hub_emails_muted", default=False)


@contextlib.contextmanager
def emails_muted():
    """No hub emails inside this block (demo data, bulk back-fills)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _send_after_commit(messages: list[EmailMultiAlternatives]) -> None:
    if _muted.get():
        return

    def send():
        if not messages:
            return
        with get_connection() as connection:
            for message in messages:
                message.connection = connection
                try:
                    message.send()
                except OSError:  # the mail server is down: log, never break the request
                    logger.exception("hub email to %s failed", message.to)

    transaction.on_commit(send)


def _email(to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    context = {"base_url": _base_url(), **context}
    text = render_to_string(f"hub/email/{template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    return message


def hub_profile_get(*, contact: Contact) -> HubProfile:
    profile = getattr(contact, "_hub_profile_cache", None)
    if profile is None:
        profile, _ = HubProfile.objects.get_or_create(contact=contact)
        contact._hub_profile_cache = profile
    return profile
