import json
import socket
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from ovation.activity.services import event_publish
from ovation.automations import transport, webhooks
from ovation.automations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ovation.core.errors import ServiceError
from ovation.users.models import ApiToken

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _verify(secret: str, request: dict) -> dict:
    headers = {
        k: request["headers"][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    return Webhook(secret).verify(request["body"], headers)


def _publish(contact, capture, type_="referral.converted"):
    with capture(execute=True), transaction.atomic():
        return event_publish(
            type=type_, contact=contact, data={"contact_id": contact.pk, "amount": "1200.00"}
        )


def test_receiver_failing_three_times_gets_the_event_once_more_with_the_same_id(
    contact, django_capture_on_commit_callbacks, allow_private
):
    from .receiver import Receiver

    with Receiver(statuses=[500, 503, 502]) as receiver:
        endpoint, secret = webhooks.endpoint_create(
            url=receiver.url, event_types=["referral.converted"]
        )
        event = _publish(contact, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        first_retry = delivery.next_attempt_at - timezone.now()
        assert timedelta(seconds=3) < first_retry < timedelta(seconds=7)  # 5 s ± 20% jitter
        later = timezone.now()
        for _ in range(5):  # the sweep runs again and again; only due attempts go out
            later += timedelta(hours=3)
            webhooks.deliveries_run_due(now=later, inline=True)
        assert [r["status"] for r in receiver.requests] == [500, 503, 502, 200]
        ids = {r["headers"]["webhook-id"] for r in receiver.requests}
        assert ids == {delivery.message_id}
        assert len(receiver.successes) == 1
        payload = _verify(secret, receiver.successes[0])
        assert payload["type"] == "referral.converted"
        assert payload["data"]["contact_id"] == contact.pk
        assert payload["data"]["event_id"] == event.pk
        assert payload["timestamp"] == event.occurred_at.isoformat()
        assert len({r["body"] for r in receiver.requests}) == 1  # same bytes every attempt
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 4, 200)
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("status_code", flat=True)
    ) == [500, 503, 502, 200]


def test_each_endpoint_gets_an_event_once_even_if_dispatched_twice(
    contact, receiver, django_capture_on_commit_callbacks
):
    from ovation.automations.services import event_dispatch

    webhooks.endpoint_create(url=receiver.url, event_types=["*"])
    event = _publish(contact, django_capture_on_commit_callbacks)
    event_dispatch(event_id=event.pk)
    event_dispatch(event_id=event.pk)
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_rotation_signs_with_both_secrets_during_the_overlap(
    contact, receiver, django_capture_on_commit_callbacks
):
    endpoint, old = webhooks.endpoint_create(url=receiver.url, event_types=["referral.converted"])
    new = webhooks.endpoint_rotate_secret(endpoint=endpoint, overlap_hours=24)
    _publish(contact, django_capture_on_commit_callbacks)
    request = receiver.requests[0]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert _verify(old, request)["type"] == "referral.converted"
    assert _verify(new, request)["type"] == "referral.converted"
    # After the overlap only the new secret signs.
    assert webhooks.endpoint_secrets(endpoint, now=timezone.now() + timedelta(hours=25)) == [new]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
        "http://192.168.0.10/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://example.com/",
        "http://metadata.google.internal/",
    ],
)
def test_ssrf_refused_at_registration(url):
    with pytest.raises(ServiceError) as exc:
        webhooks.endpoint_create(url=url, event_types=["*"])
    assert exc.value.field == "url"
    assert WebhookEndpoint.objects.count() == 0


def _fake_dns(address):
    def getaddrinfo(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    return getaddrinfo


def test_public_hostname_accepted_then_refused_at_delivery_when_it_rebinds(
    contact, django_capture_on_commit_callbacks
):
    with mock.patch("socket.getaddrinfo", _fake_dns("93.184.215.14")):
        endpoint, _ = webhooks.endpoint_create(url="https://hooks.example.com/x", event_types=["*"])
    # DNS now points the name at loopback (rebinding): the delivery refuses to connect.
    with (
        mock.patch("socket.getaddrinfo", _fake_dns("127.0.0.1")),
        mock.patch("http.client.HTTPConnection.request") as sent,
    ):
        _publish(contact, django_capture_on_commit_callbacks)
        assert sent.call_count == 0
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "pending"
    assert (
        delivery.last_error
        == "refused: hooks.example.com resolves to 127.0.0.1, a loopback address"
    )


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "::1", "fd00:ec2::254"])
def test_delivery_refuses_private_addresses(address):
    with mock.patch("socket.getaddrinfo", _fake_dns(address)):
        result = transport.post("http://internal.example.com/", body="{}", headers={})
    assert result.status_code is None
    assert result.error.startswith("refused: internal.example.com resolves to")


def test_auto_disable_after_sustained_failure_emails_admins(
    contact, allow_private, django_capture_on_commit_callbacks
):
    from .receiver import Receiver

    UserFactory(role="admin", email="admin@acme.test")
    with (
        Receiver(statuses=[500] * 50) as receiver,
        override_settings(
            OVATION_WEBHOOK_DISABLE_AFTER_HOURS=24, OVATION_WEBHOOK_DISABLE_MIN_FAILURES=5
        ),
    ):
        endpoint, _ = webhooks.endpoint_create(url=receiver.url, event_types=["*"])
        with django_capture_on_commit_callbacks(execute=True):
            _publish(contact, django_capture_on_commit_callbacks)
            later = timezone.now()
            for _ in range(8):
                later += timedelta(hours=11)
                webhooks.deliveries_run_due(now=later, inline=True)
        endpoint.refresh_from_db()
        sent_while_disabled = len(receiver.requests)
        webhooks.deliveries_run_due(now=later + timedelta(days=3), inline=True)
        assert len(receiver.requests) == sent_while_disabled
    assert endpoint.is_enabled is False
    assert "failing for 24 hours or more" in endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [["admin@acme.test"]]
    assert mail.outbox[0].subject == f"Webhook endpoint disabled: {receiver.url}"


def test_replay_resends_with_same_id(contact, receiver, django_capture_on_commit_callbacks):
    webhooks.endpoint_create(url=receiver.url, event_types=["*"])
    _publish(contact, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.delivery_replay(delivery=delivery)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.message_id] * 2


# --- API ------------------------------------------------------------------------------------


def _token(user, scope="write"):
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, prefix=raw[:12], key_hash=ApiToken.hash(raw), scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_create_returns_secret_once_then_list_rotate_delete(client, manager, allow_private):
    auth = _token(manager)
    response = client.post(
        "/api/v1/webhooks/endpoints",
        {
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["referral.converted"],
            "description": "CRM",
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhooks/endpoints", **auth).json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]
    rotated = client.post(
        f"/api/v1/webhooks/endpoints/{body['id']}/rotate",
        {"overlap_hours": 2},
        content_type="application/json",
        **auth,
    ).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]
    assert client.delete(f"/api/v1/webhooks/endpoints/{body['id']}", **auth).status_code == 204
    assert WebhookEndpoint.objects.count() == 0


def test_api_refuses_private_url_naming_the_field(client, manager):
    response = client.post(
        "/api/v1/webhooks/endpoints",
        {"url": "http://10.0.0.1/", "event_types": ["*"]},
        content_type="application/json",
        **_token(manager),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "url"
    assert WebhookEndpoint.objects.count() == 0


def test_api_read_token_and_sales_cannot_create(client, manager, db):
    read = client.post(
        "/api/v1/webhooks/endpoints",
        {"url": "https://x.example.com", "event_types": ["*"]},
        content_type="application/json",
        **_token(manager, scope="read"),
    )
    sales = client.post(
        "/api/v1/webhooks/endpoints",
        {"url": "https://x.example.com", "event_types": ["*"]},
        content_type="application/json",
        **_token(UserFactory(role="sales")),
    )
    assert (read.status_code, sales.status_code) == (403, 403)
    assert WebhookEndpoint.objects.count() == 0


def test_staff_page_shows_secret_once(client, manager, allow_private):
    client.force_login(manager)
    response = client.post(
        reverse("automations:endpoint-list"),
        {"url": "http://127.0.0.1:9/h", "event_types": "referral.converted", "description": "CRM"},
    )
    endpoint = WebhookEndpoint.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert endpoint.secret in page
    assert endpoint.secret not in client.get(response["Location"]).content.decode()
    json.dumps(page[:1])
