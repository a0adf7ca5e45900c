"""A campaign goes out by email; a recipient answers through the one-click link; the answer
updates (never duplicates); expiry and unsubscribe are honoured; detractors reach the CSM."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.pulse import services
from ovation.pulse.models import (
    Campaign,
    FollowUp,
    NpsSegmentDay,
    Response,
    StageTransition,
    SurveyInvitation,
    SurveyOptOut,
)

from .factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _links(message):
    return re.findall(r"(http://\S+/s/[\w-]+\?score=\d+)", message.body)


def _send(manager, run_on_commit, **kwargs):
    mail.outbox.clear()
    with run_on_commit():
        campaign = services.campaign_create(actor=manager, name="Q1 NPS", send_now=True, **kwargs)
    return campaign


def test_send_now_emails_every_recipient_with_eleven_one_click_links(
    manager, contact, run_on_commit
):
    other = ContactFactory(account=contact.account)
    campaign = _send(manager, run_on_commit)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted([contact.email, other.email])
    links = _links(mail.outbox[0])
    assert len(links) == 11
    assert links[9].endswith("?score=9")
    assert "List-Unsubscribe" in mail.outbox[0].extra_headers
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_audience_filters_and_opt_outs(manager, contact, run_on_commit):
    other_region = ContactFactory(account=AccountFactory())
    opted_out = ContactFactory(account=contact.account)
    SurveyOptOut.objects.create(contact=opted_out)
    _send(manager, run_on_commit, audience={"region": [str(contact.account.region_id)]})
    assert [m.to[0] for m in mail.outbox] == [contact.email]
    assert not SurveyInvitation.objects.filter(contact__in=[other_region, opted_out]).exists()


def test_one_click_score_then_reason_updates_one_response(client, manager, contact, run_on_commit):
    _send(manager, run_on_commit)
    url = _links(mail.outbox[0])[9].replace("http://127.0.0.1:8000", "")
    with run_on_commit():
        page = client.get(url)
    assert page.status_code == 200
    assert b"we recorded your score of <strong>9</strong>" in page.content
    assert b"What would make it even easier to recommend us" in page.content
    token = url.split("/s/")[1].split("?")[0]
    with run_on_commit():
        done = client.post(
            f"/s/{token}",
            {"score": "10", "reason": "Great support", "improvement": "A cheaper licence"},
        )
    assert done.status_code == 302
    response = Response.objects.get()
    assert (response.score, response.reason, response.improvement) == (
        10,
        "Great support",
        "A cheaper licence",
    )
    assert [t.theme for t in response.themes.all()] == ["pricing"]
    # rollups moved the answer from 9 to 10 without counting it twice
    row = NpsSegmentDay.objects.get(dimension="all")
    assert (row.responses, row.promoters, row.score_sum) == (1, 1, 10)
    contact.refresh_from_db()
    assert contact.stage == "promoter"
    transition = StageTransition.objects.get(contact=contact)
    assert transition.explanation.startswith("NPS 9 on") or transition.explanation.startswith(
        "NPS 10 on"
    )


def test_expired_link_records_nothing(client, manager, contact, run_on_commit):
    _send(manager, run_on_commit)
    invitation = SurveyInvitation.objects.get()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = client.get(f"/s/{invitation.token}?score=10")
    assert page.status_code == 410
    assert Response.objects.count() == 0


def test_bad_score_in_link_records_nothing(client, manager, contact, run_on_commit):
    _send(manager, run_on_commit)
    invitation = SurveyInvitation.objects.get()
    page = client.get(f"/s/{invitation.token}?score=11")
    assert page.status_code == 200
    assert b"score must be between 0 and 10" in page.content
    assert Response.objects.count() == 0


def test_unknown_token_is_404(client):
    assert client.get("/s/not-a-token").status_code == 404


def test_unsubscribe_is_honoured_by_later_campaigns_and_reminders(
    client, manager, contact, run_on_commit
):
    _send(manager, run_on_commit, reminder_after_days=3)
    invitation = SurveyInvitation.objects.get()
    assert client.post(f"/s/{invitation.token}/unsubscribe").status_code == 200
    assert SurveyOptOut.objects.filter(contact=contact).exists()
    Campaign.objects.update(sent_at=timezone.now() - timedelta(days=4))
    mail.outbox.clear()
    assert services.campaign_remind(campaign_id=invitation.campaign_id) == 0
    _send(manager, run_on_commit)
    assert mail.outbox == []


def test_one_reminder_only_to_non_responders(manager, contact, run_on_commit):
    answered = ContactFactory(account=contact.account)
    campaign = _send(manager, run_on_commit, reminder_after_days=3)
    inv = SurveyInvitation.objects.get(contact=answered)
    services.response_answer_invitation(invitation=inv, score=8)
    # not due yet
    assert services.campaign_remind(campaign_id=campaign.pk) == 0
    Campaign.objects.filter(pk=campaign.pk).update(sent_at=timezone.now() - timedelta(days=3))
    mail.outbox.clear()
    assert services.campaign_remind(campaign_id=campaign.pk) == 1
    assert [m.to[0] for m in mail.outbox] == [contact.email]
    assert mail.outbox[0].subject.startswith("Reminder:")
    assert services.campaign_remind(campaign_id=campaign.pk) == 0


def test_scheduled_campaign_waits_for_its_time(manager, contact, run_on_commit):
    mail.outbox.clear()
    with run_on_commit():
        campaign = services.campaign_create(
            actor=manager, name="Later", scheduled_at=timezone.now() + timedelta(hours=2)
        )
    assert mail.outbox == []
    assert services.campaigns_dispatch_due() == {"sent": 0, "reminded": 0}
    Campaign.objects.filter(pk=campaign.pk).update(
        scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.campaigns_dispatch_due()["sent"] == 1
    assert [m.to[0] for m in mail.outbox] == [contact.email]


def test_detractor_opens_a_follow_up_for_the_csm_and_emails_them(
    manager, csm, contact, run_on_commit
):
    _send(manager, run_on_commit)
    invitation = SurveyInvitation.objects.get()
    mail.outbox.clear()
    with run_on_commit():
        services.response_answer_invitation(
            invitation=invitation, score=3, improvement="Too slow and too expensive"
        )
    follow_up = FollowUp.objects.get()
    assert (follow_up.owner, follow_up.status, follow_up.contact) == (csm, "open", contact)
    assert [m.to for m in mail.outbox] == [[csm.email]]
    assert "answered 3" in mail.outbox[0].subject
    # answering again does not open a second one
    with run_on_commit():
        services.response_answer_invitation(invitation=invitation, score=2)
    assert FollowUp.objects.count() == 1


def test_advocacy_act_makes_a_promoter_an_advocate(manager, contact, run_on_commit):
    with run_on_commit():
        services.response_record(contact=contact, score=10, source="api")
    with run_on_commit():
        activity_record(kind="event.attended", contact=contact, source="test")
    contact.refresh_from_db()
    assert contact.stage == "advocate"
    last = StageTransition.objects.filter(contact=contact).order_by("-occurred_at").first()
    assert last.to_stage == "advocate"
    assert " + event attended on " in last.explanation
    from ovation.activity.models import DomainEvent

    events = DomainEvent.objects.filter(type="contact.stage_changed").order_by("id")
    assert [e.data["to"] for e in events] == ["promoter", "advocate"]
