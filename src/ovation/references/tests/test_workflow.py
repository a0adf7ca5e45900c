"""The request workflow end to end through the services, the staff pages, the hub and the API:
submit -> pick -> accept -> schedule -> complete (thanks, points, activity) -> outcome."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.ledger.services import balance_get
from ovation.users.models import User

from ..budget import BudgetExceeded
from ..models import Ask, Assignment, FatiguePolicy, MatchSettings, Opportunity, ReferenceRequest
from ..services import (
    assignment_accept,
    assignment_complete,
    assignment_decline,
    assignment_schedule,
    opportunity_outcome_record,
    reminders_send,
    request_create,
    request_pick,
)
from .factories import ContactFactory, IndustryFactory, RegionFactory, RequestFactory

pytestmark = pytest.mark.django_db


def staff(role, email=None):
    return User.objects.create_user(email or f"{role}@acme.test", password="pw-123456", role=role)


@pytest.fixture
def manager():
    return staff("manager")


@pytest.fixture
def rep():
    return staff("sales")


def soon(days=2):
    return timezone.now() + timedelta(days=days)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and its after-commit work (emails) as if the request committed."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_full_workflow_credits_points_once_and_records_activity(rep, manager, committed):
    contact = ContactFactory()
    req = request_create(
        requester=rep,
        opportunity_name="Globex renewal",
        opportunity_crm_id="OPP-1",
        amount=120000,
        activity_type="call",
        industry=IndustryFactory(),
        region=RegionFactory(),
    )
    assert req.status == "submitted"
    a = committed(request_pick, request=req, contact=contact, actor=manager)
    req.refresh_from_db()
    assert req.status == "invited"
    assert mail.outbox[-1].to == [contact.email]
    assert "Phone / video call" in mail.outbox[-1].body
    assert a.ask.channel == "reference" and a.ask.status == "asked"
    assignment_accept(assignment=a, slots=[soon(2), soon(3)])
    a.refresh_from_db()
    assert (a.status, len(a.proposed_slots), a.ask.status) == ("accepted", 2, "accepted")
    assignment_schedule(assignment=a, scheduled_at=soon(2), actor=manager)
    committed(
        assignment_complete, assignment=a, held=True, rating=5, feedback="Great call", actor=rep
    )
    a.refresh_from_db()
    req.refresh_from_db()
    assert (a.status, a.rating, req.status) == ("completed", 5, "completed")
    assert req.fulfilled_at is not None
    assert balance_get(contact=contact).spendable == MatchSettings.current().completion_points
    assert Activity.objects.filter(contact=contact, kind="reference.given").count() == 1
    assert mail.outbox[-1].subject == "Thank you for speaking with a peer"
    # A replay does nothing more.
    from ovation.core.errors import Conflict

    with pytest.raises(Conflict):
        assignment_complete(assignment=a, held=True, rating=4, actor=rep)
    assert balance_get(contact=contact).spendable == 200
    opportunity_outcome_record(opportunity=req.opportunity, outcome="won", amount=110000)
    req.refresh_from_db()
    assert req.status == "closed"
    assert Opportunity.objects.get(crm_id="OPP-1").won_amount == 110000


def test_decline_starts_cooldown_and_notifies_requester(rep, manager, committed):
    FatiguePolicy.objects.update_or_create(
        activity_type="",
        defaults={"decline_cooldown_days": 30, "max_asks_in_window": 5, "min_days_between": 0},
    )
    contact = ContactFactory()
    a = request_pick(request=RequestFactory(requester=rep), contact=contact, actor=manager)
    committed(assignment_decline, assignment=a, reason="Busy quarter")
    a.refresh_from_db()
    assert (a.status, a.decline_reason, a.ask.status) == ("declined", "Busy quarter", "declined")
    assert mail.outbox[-1].to == [rep.email]
    with pytest.raises(BudgetExceeded) as exc:
        request_pick(request=RequestFactory(), contact=contact, actor=manager)
    assert exc.value.rule == "overall.decline_cooldown"


def test_auto_assign_invites_confident_matches(rep):
    MatchSettings.objects.create(auto_assign=True, auto_assign_min_score=0.5)
    good = ContactFactory()
    req = request_create(
        requester=rep,
        opportunity_name="Initech",
        activity_type="call",
        industry=good.account.industry,
        region=good.account.region,
        country="DE",
        employee_band="201-1000",
    )
    assert list(req.assignments.values_list("contact_id", "auto_assigned")) == [(good.pk, True)]


def test_reminders_after_sla_once_per_day(rep, manager):
    contact = ContactFactory()
    a = request_pick(request=RequestFactory(), contact=contact, actor=manager)
    Assignment.objects.filter(pk=a.pk).update(invited_at=timezone.now() - timedelta(days=4))
    RequestFactory(review_due_at=timezone.now() - timedelta(hours=1))
    mail.outbox.clear()
    assert reminders_send() == {"advocates": 1, "managers": 1}
    assert reminders_send() == {"advocates": 0, "managers": 0}
    assert len(mail.outbox) == 2


def test_the_scheduler_tick_sends_reference_reminders_once_a_day(manager):
    from ovation.automations.services import automations_tick

    a = request_pick(request=RequestFactory(), contact=ContactFactory(), actor=manager)
    Assignment.objects.filter(pk=a.pk).update(invited_at=timezone.now() - timedelta(days=4))
    mail.outbox.clear()
    assert automations_tick()["reference_reminders"] == {"advocates": 1, "managers": 0}
    assert automations_tick()["reference_reminders"] == {"advocates": 0, "managers": 0}
    tomorrow = timezone.now() + timedelta(days=1)
    assert automations_tick(now=tomorrow)["reference_reminders"]["advocates"] == 1
    assert [m.to for m in mail.outbox] == [[a.contact.email]] * 2


# --- pages ----------------------------------------------------------------------------------


def test_rep_files_a_request_in_the_form(client, rep):
    client.force_login(rep)
    ind = IndustryFactory()
    resp = client.post(
        reverse("references:request-create"),
        {
            "opportunity_name": "Umbrella Corp",
            "opportunity_crm_id": "OPP-9",
            "amount": "50000",
            "industry": ind.pk,
            "country": "de",
            "activity_type": "call",
            "number_wanted": 2,
            "duration_minutes": 30,
            "use_case": "forecasting",
        },
    )
    req = ReferenceRequest.objects.get()
    assert resp.status_code == 302 and resp.url == reverse(
        "references:request-detail", args=[req.pk]
    )
    assert (req.country, req.number_wanted, req.opportunity.crm_id) == ("DE", 2, "OPP-9")


def test_bad_request_form_names_the_field_and_stores_nothing(client, rep):
    client.force_login(rep)
    resp = client.post(
        reverse("references:request-create"),
        {
            "opportunity_name": "X",
            "activity_type": "call",
            "number_wanted": 11,
            "duration_minutes": 30,
            "country": "Germany",
        },
    )
    assert resp.status_code == 200
    assert "use a two-letter country code" in resp.content.decode()
    assert ReferenceRequest.objects.count() == 0


def test_rep_cannot_pick(client, rep):
    contact = ContactFactory()
    req = RequestFactory(requester=rep)
    client.force_login(rep)
    resp = client.post(
        reverse("references:request-pick", args=[req.pk]), {"contact_id": contact.pk}
    )
    assert resp.status_code == 403
    assert Assignment.objects.count() == 0 and Ask.objects.count() == 0


def test_manager_picks_on_the_detail_page(client, manager):
    contact = ContactFactory()
    req = RequestFactory()
    client.force_login(manager)
    page = client.get(reverse("references:request-detail", args=[req.pk])).content.decode()
    assert f'data-contact="{contact.pk}"' in page and "same industry (Healthcare)" in page
    resp = client.post(
        reverse("references:request-pick", args=[req.pk]), {"contact_id": contact.pk}
    )
    assert resp.status_code == 302
    assert Assignment.objects.get().contact == contact


def test_why_not_partial_names_the_rule(client, manager):
    c = ContactFactory(consent=[])
    req = RequestFactory()
    client.force_login(manager)
    html = client.get(
        reverse("references:why-not", args=[req.pk]), {"contact": c.email}
    ).content.decode()
    assert (
        "consent for reference calls was never given" in html and "consent.reference_calls" in html
    )


def test_ask_log_form_records_an_outside_ask(client, rep):
    c = ContactFactory()
    client.force_login(rep)
    resp = client.post(
        reverse("references:ask-log"),
        {
            "contact": c.email,
            "activity_type": "email",
            "status": "accepted",
            "note": "via Slack",
        },
    )
    assert resp.status_code == 302
    ask = Ask.objects.get()
    assert (ask.contact, ask.logged_outside, ask.status, ask.actor) == (c, True, "accepted", rep)
    resp = client.post(
        reverse("references:ask-log"),
        {"contact": "nobody@x.test", "activity_type": "email", "status": "asked"},
    )
    assert "no contact with id or email" in resp.content.decode()
    assert Ask.objects.count() == 1


def test_hub_accept_and_other_contacts_cannot_touch_it(client, manager):
    contact = ContactFactory()
    other = ContactFactory()
    a = request_pick(request=RequestFactory(), contact=contact, actor=manager)
    intruder = staff("advocate", "intruder@customer.test")
    other.user = intruder
    other.save()
    client.force_login(intruder)
    slot = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(reverse("references:hub-accept", args=[a.pk]), {"slot1": slot})
    assert resp.status_code == 404
    a.refresh_from_db()
    assert a.status == "invited"
    owner = staff("advocate", "owner@customer.test")
    contact.user = owner
    contact.save()
    client.force_login(owner)
    page = client.get(reverse("references:hub-requests")).content.decode()
    assert "about 30 minutes" in page
    client.post(reverse("references:hub-accept", args=[a.pk]), {"slot1": slot})
    a.refresh_from_db()
    assert a.status == "accepted"


def test_pages_render_and_query_budgets(client, manager, django_assert_max_num_queries):
    for _ in range(3):
        ContactFactory()
    reqs = [RequestFactory() for _ in range(12)]
    request_pick(request=reqs[0], contact=ContactFactory(), actor=manager)
    client.force_login(manager)
    client.get(reverse("references:request-detail", args=[reqs[1].pk]))  # warm the pool
    with django_assert_max_num_queries(14):
        assert client.get(reverse("references:request-list")).status_code == 200
    with django_assert_max_num_queries(22):
        assert (
            client.get(reverse("references:request-detail", args=[reqs[0].pk])).status_code == 200
        )
    for name in ("pool-health", "outcomes", "settings", "ask-log"):
        assert client.get(reverse(f"references:{name}")).status_code == 200, name
    csv = client.get(reverse("references:outcomes") + "?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("request_id,submitted_at")
    assert len(csv.splitlines()) == 13


def test_settings_page_saves_policy(client, manager):
    client.force_login(manager)
    client.get(reverse("references:settings"))
    p = FatiguePolicy.objects.get(activity_type="")
    resp = client.post(
        reverse("references:settings"),
        {
            "form": f"policy-{p.pk}",
            f"p{p.pk}-window_days": 60,
            f"p{p.pk}-max_asks_in_window": 2,
            f"p{p.pk}-min_days_between": 21,
            f"p{p.pk}-max_per_account_per_quarter": 4,
            f"p{p.pk}-decline_cooldown_days": 45,
            f"p{p.pk}-renewal_quiet_days": 20,
            f"p{p.pk}-is_active": "on",
        },
    )
    assert resp.status_code == 302
    p.refresh_from_db()
    assert (p.window_days, p.min_days_between, p.respect_detractor_followup) == (60, 21, False)


# --- API ------------------------------------------------------------------------------------


def _token(user):
    from ovation.users.models import ApiToken

    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, prefix=raw[:12], key_hash=ApiToken.hash(raw), scope="write")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_request_matches_pick_and_asks(client, rep, manager, django_assert_max_num_queries):
    c1, c2 = ContactFactory(), ContactFactory(seniority="vp")
    resp = client.post(
        "/api/v1/reference-requests",
        {
            "opportunity_name": "Hooli",
            "activity_type": "call",
            "industry": "healthcare",
            "region": "EMEA",
            "seniority": "vp",
            "amount": "75000",
        },
        content_type="application/json",
        **_token(rep),
    )
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    # Candidates are for the manager who picks, as on the request page; the rep gets a 403.
    assert client.get(f"/api/v1/reference-requests/{rid}/matches", **_token(rep)).status_code == 403
    client.get(f"/api/v1/reference-requests/{rid}/matches", **_token(manager))  # builds the pool
    with django_assert_max_num_queries(16):
        m = client.get(f"/api/v1/reference-requests/{rid}/matches", **_token(manager)).json()
    assert [c["contact_id"] for c in m["candidates"]] == [c2.pk, c1.pk]
    assert "peer seniority (VP)" in m["candidates"][0]["explanation"]
    resp = client.post(
        f"/api/v1/reference-requests/{rid}/picks",
        {"contact_id": c2.pk},
        content_type="application/json",
        **_token(rep),
    )
    assert resp.status_code == 403
    resp = client.post(
        f"/api/v1/reference-requests/{rid}/picks",
        {"contact_id": c2.pk},
        content_type="application/json",
        **_token(manager),
    )
    assert resp.status_code == 201
    with django_assert_max_num_queries(12):
        got = client.get(f"/api/v1/reference-requests/{rid}", **_token(rep)).json()
    assert got["status"] == "invited" and got["assignments"][0]["contact_id"] == c2.pk
    bad = client.post(
        "/api/v1/reference-requests",
        {"opportunity_name": "X", "activity_type": "call", "industry": "Nope"},
        content_type="application/json",
        **_token(rep),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "industry"
    resp = client.post(
        "/api/v1/asks",
        {"contact_id": c1.pk, "activity_type": "email", "note": "rep's own email"},
        content_type="application/json",
        **_token(rep),
    )
    assert resp.status_code == 201 and resp.json()["logged_outside"] is True
    budget = client.get(
        f"/api/v1/asks/budget?contact_id={c1.pk}&activity_type=call", **_token(rep)
    ).json()
    # The ask made outside Ovation counts: the default policy wants 14 days between asks.
    assert (budget["allowed"], budget["rule"]) == (False, "overall.min_days_between")


def test_api_ask_over_budget_is_409_naming_the_rule(client, rep):
    FatiguePolicy.objects.update_or_create(activity_type="", defaults={"max_asks_in_window": 1})
    c = ContactFactory()
    body = {
        "contact_id": c.pk,
        "activity_type": "challenge",
        "channel": "challenge",
        "logged_outside": False,
    }
    assert (
        client.post(
            "/api/v1/asks", body, content_type="application/json", **_token(rep)
        ).status_code
        == 201
    )
    resp = client.post("/api/v1/asks", body, content_type="application/json", **_token(rep))
    assert resp.status_code == 409
    assert "the limit is 1" in resp.json()["detail"]
    assert Ask.objects.count() == 1
