import json
import time
from datetime import date

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from ovation.activity.models import DomainEvent
from ovation.automations import email as mailer
from ovation.automations.inbound import inbound_sign
from ovation.automations.models import EmailMessage, EmailPreference, InboundWebhook
from ovation.directory.models import Account

from .factories import AccountFactory

pytestmark = pytest.mark.django_db
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(autouse=True)
def crm_secret(settings):
    settings.OVATION_CRM_WEBHOOK_SECRET = SECRET


def _post(client, payload, *, ts=None, secret=SECRET, msg_id="msg_1", path="/hooks/crm/"):
    body = json.dumps(payload).encode()
    ts = int(time.time()) if ts is None else ts
    return client.post(
        path,
        body,
        content_type="application/json",
        HTTP_WEBHOOK_ID=msg_id,
        HTTP_WEBHOOK_TIMESTAMP=str(ts),
        HTTP_WEBHOOK_SIGNATURE=inbound_sign(
            secret=secret, message_id=msg_id, timestamp=ts, body=body
        ),
    )


def test_account_update_applies_once(client):
    AccountFactory(name="Globex", crm_id="ACC-9")
    payload = {
        "id": "evt_1",
        "type": "account.updated",
        "data": {
            "crm_id": "ACC-9",
            "arr": 250000,
            "renewal_date": "2026-03-31",
            "industry": "Retail",
        },
    }
    first = _post(client, payload)
    again = _post(client, payload)
    assert (first.status_code, first.json()["status"]) == (200, "processed")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    account = Account.objects.get(crm_id="ACC-9")
    assert (account.arr, account.renewal_date, account.industry.name) == (
        250000,
        date(2026, 3, 31),
        "Retail",
    )
    assert InboundWebhook.objects.count() == 1


def test_api_route_and_opportunity_won(client):
    response = _post(
        client,
        {
            "id": "evt_2",
            "type": "opportunity.won",
            "data": {"opportunity_id": "OPP-1", "name": "Initech renewal", "amount": 50000},
        },
        path="/api/v1/webhooks/inbound/crm",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    assert (
        DomainEvent.objects.filter(type__in=["opportunity.won", "crm.opportunity_closed"]).count()
        == 1
    )


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "whsec_" + "A" * 32}, 401),
        ({"ts_offset": -301}, 401),
        ({"ts_offset": 400}, 401),
    ],
)
def test_bad_signature_or_stale_timestamp_refused_without_side_effects(client, kwargs, status):
    AccountFactory(name="Globex", crm_id="ACC-9", arr=10)
    if "ts_offset" in kwargs:  # computed now, not at collection: a slow run must not age it
        kwargs = {"ts": int(time.time()) + kwargs["ts_offset"]}
    response = _post(
        client,
        {"id": "evt_3", "type": "account.updated", "data": {"crm_id": "ACC-9", "arr": 99}},
        **kwargs,
    )
    assert response.status_code == status
    assert Account.objects.get(crm_id="ACC-9").arr == 10
    assert InboundWebhook.objects.count() == 0


def test_bad_body_names_the_field(client):
    response = _post(
        client,
        {
            "id": "evt_4",
            "type": "account.updated",
            "data": {"crm_id": "ACC-1", "name": "X", "arr": "lots"},
        },
    )
    assert response.status_code == 400
    assert response.json()["field"] == "data.arr"
    assert InboundWebhook.objects.count() == 0


def test_email_goes_through_the_queue_with_both_parts_and_opt_out_is_honoured(
    contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        mailer.email_send(
            to=contact.email,
            template="you_said_we_did",
            context={"contact": {"first_name": "Jane"}, "event": {"title": "PDF export"}},
            event_type="idea.shipped",
            contact=contact,
        )
        assert mail.outbox == []  # nothing leaves before the commit
    assert [m.subject for m in mail.outbox] == ["You said, we did: PDF export"]
    assert "PDF export" in mail.outbox[0].alternatives[0][0]
    unsubscribe = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    mailer.email_preference_set(contact=contact, event_type="idea.shipped", is_opted_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        message = mailer.email_send(
            to=contact.email,
            template="you_said_we_did",
            context={},
            event_type="idea.shipped",
            contact=contact,
        )
        other = mailer.email_send(
            to=contact.email,
            template="rule_message",
            context={"subject": "Hi", "body": "B"},
            event_type="reference.completed",
            contact=contact,
        )
    assert EmailMessage.objects.get(pk=message.pk).status == "suppressed"
    assert EmailMessage.objects.get(pk=other.pk).status == "sent"
    assert len(mail.outbox) == 2
    assert "/email/unsubscribe/" in unsubscribe


def test_unsubscribe_link_opts_out_of_everything(client, contact):
    token = mailer.unsubscribe_token(contact_id=contact.pk, event_type="idea.shipped")
    page = client.get(reverse("automations:unsubscribe", args=[token]))
    assert page.status_code == 200 and EmailPreference.objects.count() == 0
    client.post(reverse("automations:unsubscribe", args=[token]), {"scope": "all"})
    assert mailer.email_opted_out(contact_id=contact.pk, event_type="anything")
    assert client.get(reverse("automations:unsubscribe", args=["forged"])).status_code == 400


def test_preview_pages(client, manager):
    client.force_login(manager)
    for name in mailer.EMAIL_TEMPLATES:
        page = client.get(reverse("automations:email-preview", args=[name]))
        assert page.status_code == 200
        html = client.get(reverse("automations:email-preview", args=[name]) + "?part=html")
        assert html["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get(reverse("automations:email-preview", args=["nope"])).status_code == 404
