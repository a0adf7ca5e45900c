"""Advocate definition versions, follow-up permissions, untapped promoters, the contact
partial, the campaign builder, the CLI import and the rollup rebuild fallback."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.pulse import recompute, rollups, selectors, services
from ovation.pulse.models import (
    AdvocateDefinition,
    Campaign,
    FollowUp,
    NpsSegmentDay,
    StageTransition,
)

from .factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_saving_the_definition_makes_a_new_version_and_recomputes_stages(
    client, manager, contact, run_on_commit
):
    services.response_record(contact=contact, score=9, source="api")
    recompute.run()
    contact.refresh_from_db()
    assert contact.stage == "promoter"
    client.force_login(manager)
    form = {
        "promoter_min_score": 10,
        "promoter_window_days": 365,
        "advocate_min_acts": 1,
        "advocate_window_days": 182,
        "champion_min_acts": 3,
        "champion_window_days": 365,
        "account_min_advocates": 1,
        "advocacy_kinds": ["reference.given", "review.written"],
        "note": "only 10s count",
    }
    with run_on_commit():
        page = client.post("/pulse/definition/", form)
    assert page.status_code == 302
    assert list(AdvocateDefinition.objects.values_list("version", "promoter_min_score")) == [
        (2, 10),
        (1, 9),
    ]
    contact.refresh_from_db()
    assert contact.stage == "customer"
    assert not StageTransition.objects.filter(contact=contact).exists()


def test_definition_rejects_inconsistent_rules_and_non_managers(client, manager, csm):
    services.advocate_definition_current()
    with pytest.raises(services.ServiceError) as exc:
        services.advocate_definition_create(
            actor=manager,
            advocacy_kinds=["review.written"],
            advocate_min_acts=4,
            champion_min_acts=2,
        )
    assert exc.value.field == "champion_min_acts"
    client.force_login(csm)
    assert client.get("/pulse/definition/").status_code == 200
    response = client.post("/pulse/definition/", {"promoter_min_score": 5})
    assert response.status_code == 403
    assert AdvocateDefinition.objects.count() == 1


def test_a_csm_updates_only_their_own_follow_ups(client, csm, contact, run_on_commit):
    with run_on_commit():
        response, _ = services.response_record(contact=contact, score=2, source="api")
    follow_up = FollowUp.objects.get(response=response)
    other_csm = UserFactory(role="csm")
    client.force_login(other_csm)
    denied = client.post(
        f"/pulse/follow-ups/{follow_up.pk}/", {"status": "closed", "note": "not mine"}
    )
    assert denied.status_code == 404
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.note) == ("open", "")
    assert client.get("/pulse/follow-ups/").content.count(b'data-testid="follow-up"') == 0
    client.force_login(csm)
    assert client.get("/pulse/follow-ups/").content.count(b'data-testid="follow-up"') == 1
    ok = client.post(f"/pulse/follow-ups/{follow_up.pk}/", {"status": "closed", "note": "Called"})
    assert ok.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.note) == ("closed", "Called")
    assert follow_up.closed_at is not None


def test_untapped_promoters_are_promoters_never_asked(client, manager, account):
    asked, untapped, detractor = (ContactFactory(account=account) for _ in range(3))
    for c, score in ((asked, 10), (untapped, 9), (detractor, 3)):
        services.response_record(contact=c, score=score, source="api", open_follow_up=False)
    activity_record(kind="ask.logged", contact=asked, source="test", publish=False)
    recompute.run()
    assert list(selectors.untapped_promoters()) == [untapped]
    client.force_login(manager)
    csv = client.get("/pulse/untapped/?format=csv").content.decode()
    assert csv.splitlines()[1].split(",")[2] == untapped.email
    assert len(csv.splitlines()) == 2


def test_contact_partial_shows_history_and_stage(contact):
    services.response_record(contact=contact, score=10, reason="Great", source="api")
    activity_record(kind="speaking.done", contact=contact, source="test", publish=False)
    recompute.run()
    contact.refresh_from_db()
    html = render_to_string("pulse/partials/_contact_nps.html", {"contact": contact})
    assert "Great" in html and ">Advocate<" in html
    assert "NPS 10 on" in html and "spoke at an event" in html


def test_campaign_builder_counts_then_schedules(client, manager, contact):
    client.force_login(manager)
    data = {
        "name": "EMEA pulse",
        "question": "",
        "region": [str(contact.account.region_id)],
        "send": "schedule",
        "scheduled_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "token_ttl_days": 30,
        "reminder_after_days": 5,
    }
    preview = client.post("/pulse/campaigns/new/", {**data, "preview": "1"})
    assert b"1 recipients" in preview.content
    assert Campaign.objects.count() == 0
    saved = client.post("/pulse/campaigns/new/", data)
    campaign = Campaign.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/pulse/campaigns/{campaign.pk}/"
    assert campaign.status == "scheduled"
    assert campaign.audience == {"region": [str(contact.account.region_id)]}
    past = client.post(
        "/pulse/campaigns/new/", {**data, "scheduled_at": "2020-01-01T10:00", "name": "Old"}
    )
    assert b"choose a time in the future" in past.content
    assert Campaign.objects.count() == 1


def test_cli_import_prints_rejected_rows(tmp_path, contact):
    path = tmp_path / "delighted.csv"
    path.write_text(
        "Response ID,Email,Score,Comment,Created At\n"
        f"1,{contact.email},9,Nice,2025-01-05T10:00:00Z\n"
        f"2,{contact.email},42,Oops,2025-01-06T10:00:00Z\n"
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import", "nps", str(path), "--preset", "delighted", stdout=out, stderr=err)
    assert exc.value.code == 1
    assert "row 3: score: 42 is above the maximum of 10" in out.getvalue() + err.getvalue()


def test_orm_fallback_rebuild_matches_the_sql_rebuild(account):
    other = AccountFactory(arr=300000)
    for c, score in ((ContactFactory(account=account), 9), (ContactFactory(account=other), 4)):
        services.response_record(contact=c, score=score, source="api", open_follow_up=False)
    rollups.rollup_rebuild()
    fast = sorted(NpsSegmentDay.objects.values_list("dimension", "value", "day", "responses"))
    with mock.patch.object(rollups, "_day_month_sql", return_value=None):
        rollups.rollup_rebuild()
    slow = sorted(NpsSegmentDay.objects.values_list("dimension", "value", "day", "responses"))
    assert fast == slow
    assert ("arr_band", "250k+") in {(d, v) for d, v, *_ in fast}


def test_campaign_list_compares_and_merges_rounds(client, manager, account, run_on_commit):
    people = [ContactFactory(account=account) for _ in range(4)]
    scores = {"Round 1": [3, 4, 5, 9], "Round 2": [10, 10, 9, 9]}
    for name, round_scores in scores.items():
        with run_on_commit():
            campaign = services.campaign_create(actor=manager, name=name, send_now=True)
        for invitation, score in zip(
            campaign.invitations.order_by("contact_id"), round_scores, strict=True
        ):
            services.response_answer_invitation(invitation=invitation, score=score)
    rounds = selectors.campaign_rounds(list(selectors.campaign_list()))
    assert [(r["campaign"].name, r["nps"].nps) for r in rounds] == [
        ("Round 2", 100.0),
        ("Round 1", -50.0),
    ]
    assert rounds[0]["change"] == 150.0 and rounds[0]["significant"] is True
    client.force_login(manager)
    page = client.get("/pulse/campaigns/").content.decode()
    assert "+150" in page
    assert "These rounds merged: NPS +25" in page
    assert len(people) == 4
