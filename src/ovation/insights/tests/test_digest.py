"""The weekly executive digest: headline numbers and one inline chart, once per week."""

import pytest
from django.core import mail
from django.core.management import call_command
from freezegun import freeze_time

from ovation.directory.tests.factories import UserFactory
from ovation.insights import recompute
from ovation.insights.models import DigestRun
from ovation.users.models import User

from .factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    with freeze_time("2026-06-15 12:00:00"):
        w = build_world()
        recompute.run()
        yield w


def test_digest_goes_to_executives_with_the_chart_inline(world):
    UserFactory(email="boss2@acme.test", role=User.Role.EXECUTIVE)
    UserFactory(email="gone@acme.test", role=User.Role.EXECUTIVE, is_active=False)
    with freeze_time("2026-06-15 12:00:00"):
        call_command("insights", "digest")  # queued; the test backend runs it at once
    assert sorted(m.to[0] for m in mail.outbox) == ["boss2@acme.test", "exec@acme.test"]
    message = mail.outbox[0]
    assert message.subject == "Advocacy ROI — week 2026-W25"
    assert "Advocacy rate (contacts): 35.7%" in message.body
    html = message.alternatives[0][0]
    assert 'src="cid:nps-chart"' in html
    parsed = message.message()
    images = [p for p in parsed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<nps-chart>"
    assert images[0].get_payload(decode=True).startswith(b"\x89PNG")
    assert DigestRun.objects.get().recipients == 2


def test_digest_is_sent_once_per_week(world):
    from ovation.insights.digest import digest_send

    with freeze_time("2026-06-15 12:00:00"):
        assert digest_send()["status"] == "sent"
        assert digest_send() == {"week": "2026-W25", "sent": 0, "status": "already sent"}
    assert len(mail.outbox) == 1
    with freeze_time("2026-06-22 12:00:00"):
        assert digest_send()["week"] == "2026-W26"
    assert len(mail.outbox) == 2
