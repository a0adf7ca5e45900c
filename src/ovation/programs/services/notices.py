"""Hub notices and emails to advocates, each exactly once (keyed)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from ovation.automations.email import email_send
from ovation.directory.models import Contact

from ..models import Idea, Notice


def contact_context(contact: Contact) -> dict:
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "name": contact.full_name,
        "email": contact.email,
    }


def notice_create(
    *,
    contact: Contact,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    idea: Idea | None = None,
) -> tuple[Notice, bool]:
    """Create a hub notice once per `dedupe_key`; returns (notice, created)."""
    existing = Notice.objects.filter(dedupe_key=dedupe_key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                contact=contact,
                kind=kind,
                title=title[:200],
                body=body,
                url=url[:300],
                idea=idea,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return Notice.objects.get(dedupe_key=dedupe_key), False
    return notice, True


def notice_mark_read(*, contact: Contact, notice_ids: list[int] | None = None) -> int:
    """Mark the contact's notices read (all, or the given ones). Only their own."""
    qs = Notice.objects.filter(contact=contact, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=notice_ids)
    return qs.update(read_at=timezone.now())


def message_send(
    *,
    contact: Contact,
    subject: str,
    body: str,
    dedupe_key: str,
    event_type: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """A plain email to an advocate through the shared outbox (skipped without an address)."""
    if not contact.email:
        return
    email_send(
        to=contact.email,
        template="rule_message",
        context={"subject": subject, "body": body, "contact": contact_context(contact)},
        event_type=event_type,
        contact=contact,
        dedupe_key=dedupe_key,
        attachments=attachments,
    )
