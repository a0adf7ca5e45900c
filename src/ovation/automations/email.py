"""Email: every message goes through the task queue. `email_send` writes an outbox row and
enqueues its delivery after commit; the task renders the HTML and text parts, honours the
contact's per-event opt-out, and sends once (a conditional UPDATE claims the row).

Templates live in `automations/templates/automations/email/<name>/` as `subject.txt`,
`body.txt` and `body.html`; EMAIL_TEMPLATES lists them with a sample context for previews."""

from __future__ import annotations

import base64
import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ovation.core.errors import ServiceError
from ovation.directory.models import Contact

from .models import EmailMessage, EmailPreference

UNSUBSCRIBE_SALT = "ovation.automations.unsubscribe"

_SAMPLE_CONTACT = {
    "first_name": "Jane",
    "last_name": "Doe",
    "name": "Jane Doe",
    "email": "jane@example.com",
    "stage": "advocate",
}
_SAMPLE_ACCOUNT = {"name": "Globex", "csm_name": "Chris Success", "industry": "Retail"}

EMAIL_TEMPLATES: dict[str, dict[str, Any]] = {
    "rule_message": {
        "label": "Automation message (subject and body written in a rule)",
        "sample": {
            "subject": "Thank you, Jane!",
            "body": "Hi Jane,\n\nThank you for taking the reference call with Initech.\n\nThe team",
            "contact": _SAMPLE_CONTACT,
        },
    },
    "hub_invitation": {
        "label": "Invitation to the advocate hub",
        "sample": {"contact": _SAMPLE_CONTACT, "account": _SAMPLE_ACCOUNT},
    },
    "you_said_we_did": {
        "label": "You said, we did (an idea shipped)",
        "sample": {
            "contact": _SAMPLE_CONTACT,
            "event": {"title": "Export dashboards to PDF", "idea_id": 12},
        },
    },
    "webhook_disabled": {
        "label": "Notice to admins: a webhook endpoint was disabled",
        "sample": {
            "url": "https://crm.example.com/hooks/ovation",
            "reason": "failing for 3 days (42 failed attempts in a row)",
            "endpoint_path": "/automations/webhooks/1/",
        },
    },
}

_FORBIDDEN_TAGS = re.compile(r"{%\s*(load|include|extends|debug|ssi)\b")
_engine = Engine(autoescape=False)  # text parts; HTML parts escape through the file templates


def template_text_validate(text: str, *, field: str) -> str:
    """Check a staff-written template (rule email/Slack text); raises ServiceError naming the
    field. Only variables, filters and simple tags: no loading, including or extending."""
    if _FORBIDDEN_TAGS.search(text or ""):
        raise ServiceError("templates may not use load, include, extends or debug", field=field)
    try:
        _engine.from_string(text or "")
    except TemplateSyntaxError as exc:
        raise ServiceError(f"template error: {exc}", field=field) from exc
    return text


def template_text_render(text: str, context: dict) -> str:
    """Render staff-written text with a context of plain dicts and strings (no model objects,
    so a template cannot call methods on the database)."""
    if _FORBIDDEN_TAGS.search(text or ""):
        return text
    try:
        return _engine.from_string(text or "").render(Context(context, autoescape=False))
    except TemplateSyntaxError:
        return text


def unsubscribe_token(*, contact_id: int, event_type: str) -> str:
    return signing.dumps({"c": contact_id, "t": event_type or "*"}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[int, str]:
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=60 * 60 * 24 * 365)
    return int(data["c"]), str(data["t"])


def email_opted_out(*, contact_id: int, event_type: str) -> bool:
    return EmailPreference.objects.filter(
        contact_id=contact_id,
        event_type__in=[event_type or EmailPreference.ALL, EmailPreference.ALL],
        is_opted_out=True,
    ).exists()


@transaction.atomic
def email_preference_set(*, contact: Contact, event_type: str, is_opted_out: bool):
    pref, _ = EmailPreference.objects.update_or_create(
        contact=contact,
        event_type=event_type or EmailPreference.ALL,
        defaults={"is_opted_out": is_opted_out},
    )
    return pref


def email_render(*, template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) for a template name from EMAIL_TEMPLATES."""
    if template not in EMAIL_TEMPLATES:
        raise ServiceError(f"unknown email template {template!r}", field="template")
    base = f"automations/email/{template}"
    ctx = {"base_url": settings.OVATION_BASE_URL, **context}
    subject = " ".join(render_to_string(f"{base}/subject.txt", ctx).split())
    text = render_to_string(f"{base}/body.txt", ctx).strip() + "\n"
    html = render_to_string(f"{base}/body.html", ctx)
    return subject, text, html


def email_send(
    *,
    to: str,
    template: str,
    context: dict,
    event_type: str | None = None,
    contact: Contact | None = None,
    dedupe_key: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> EmailMessage:
    """Queue an email (rendered and sent by a task after commit). With a `dedupe_key` a
    second call returns the first message instead of sending again. `attachments` are
    (filename, content, mimetype) triples, e.g. an event's .ics file."""
    if template not in EMAIL_TEMPLATES:
        raise ServiceError(f"unknown email template {template!r}", field="template")
    if not to or "@" not in to:
        raise ServiceError("a recipient address is required", field="to")
    if dedupe_key:
        existing = EmailMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            message = EmailMessage.objects.create(
                to=to,
                contact=contact,
                template=template,
                context=context,
                event_type=event_type or "",
                dedupe_key=dedupe_key,
                attachments=[
                    {
                        "filename": name,
                        "mimetype": mimetype,
                        "content_b64": base64.b64encode(content).decode(),
                    }
                    for name, content, mimetype in attachments or []
                ],
            )
    except IntegrityError:
        return EmailMessage.objects.get(dedupe_key=dedupe_key)
    from .tasks import email_deliver_task

    transaction.on_commit(lambda: email_deliver_task.enqueue(message_id=message.pk))
    return message


def email_deliver(*, message_id: int) -> str:
    """Render and send one queued message; safe to run twice (the claim is a conditional
    UPDATE queued -> sending)."""
    claimed = EmailMessage.objects.filter(pk=message_id, status=EmailMessage.Status.QUEUED).update(
        status=EmailMessage.Status.SENDING
    )
    if not claimed:
        return "already handled"
    message = EmailMessage.objects.get(pk=message_id)
    if message.contact_id and email_opted_out(
        contact_id=message.contact_id, event_type=message.event_type
    ):
        EmailMessage.objects.filter(pk=message_id).update(status=EmailMessage.Status.SUPPRESSED)
        return "suppressed"
    context = dict(message.context)
    if message.contact_id:
        token = unsubscribe_token(contact_id=message.contact_id, event_type=message.event_type)
        context["unsubscribe_url"] = settings.OVATION_BASE_URL + reverse(
            "automations:unsubscribe", args=[token]
        )
    subject, text, html = email_render(template=message.template, context=context)
    mail = EmailMultiAlternatives(subject=subject, body=text, to=[message.to])
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments or []:
        mail.attach(
            attachment["filename"],
            base64.b64decode(attachment["content_b64"]),
            attachment["mimetype"],
        )
    if context.get("unsubscribe_url"):
        mail.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    try:
        mail.send()
    except OSError as exc:
        EmailMessage.objects.filter(pk=message_id).update(
            status=EmailMessage.Status.QUEUED, error=str(exc)[:500]
        )
        raise
    EmailMessage.objects.filter(pk=message_id).update(
        status=EmailMessage.Status.SENT, subject=subject[:300], sent_at=timezone.now(), error=""
    )
    return "sent"
