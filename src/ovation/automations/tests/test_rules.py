import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ovation.activity.models import Activity, DomainEvent
from ovation.activity.services import activity_record, event_publish
from ovation.automations import services
from ovation.automations.models import AutomationRule, FollowUpTask, RuleRun, WebhookDelivery
from ovation.automations.tasks import event_dispatch_task
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import balance_get

from .factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rule(**overrides):
    fields = {
        "name": "Referral won",
        "trigger": "event",
        "event_type": "referral.converted",
        "actions": [{"type": "award_points", "points": 200}],
    }
    fields.update(overrides)
    rule = services.rule_create(**fields)
    return services.rule_set_enabled(rule=rule, is_enabled=True)


def _publish(type_, contact, capture, **data):
    with capture(execute=True), transaction.atomic():
        return event_publish(type=type_, contact=contact, data={"contact_id": contact.pk, **data})


def test_event_fires_rule_exactly_once_even_when_the_worker_retries(
    contact, receiver, django_capture_on_commit_callbacks
):
    rule = _rule(
        actions=[
            {"type": "award_points", "points": 200},
            {
                "type": "post_slack",
                "url": receiver.url,
                "text": "{{ contact.name }} referred {{ event.lead }}!",
            },
        ]
    )
    event = _publish(
        "referral.converted", contact, django_capture_on_commit_callbacks, lead="Initech"
    )

    # The worker retries the same task (e.g. it died before marking it done), twice.
    event_dispatch_task.call(event_id=event.pk)
    event_dispatch_task.call(event_id=event.pk)
    # A crash after the points but before the run was marked fired: the sweep resumes it.
    RuleRun.objects.filter(rule=rule).update(status="running", actions_done=[], locked_until=None)
    services.runs_execute_due(now=timezone.now() + timedelta(minutes=10))

    assert balance_get(contact=contact).spendable == 200
    assert (
        LedgerEntry.objects.filter(idempotency_key=f"automation:{rule.pk}:{event.pk}:0").count()
        == 1
    )
    assert RuleRun.objects.get(rule=rule).status == "fired"
    assert [json.loads(r["body"]) for r in receiver.requests] == [
        {"text": "Jane Doe referred Initech!"}
    ]
    assert WebhookDelivery.objects.filter(kind="slack").count() == 1
    assert DomainEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_conditions_skip_with_a_reason_and_nothing_happens(
    contact, django_capture_on_commit_callbacks
):
    rule = _rule(
        event_type="nps.answered", conditions=[{"field": "event.score", "op": "eq", "value": 10}]
    )
    _publish("nps.answered", contact, django_capture_on_commit_callbacks, score=7)
    run = RuleRun.objects.get(rule=rule)
    assert (run.status, run.reason) == ("skipped", "event.score equals 10 was false (it is 7)")
    assert LedgerEntry.objects.count() == 0


def test_disabled_rule_does_nothing(contact, django_capture_on_commit_callbacks):
    rule = _rule()
    services.rule_set_enabled(rule=rule, is_enabled=False)
    _publish("referral.converted", contact, django_capture_on_commit_callbacks)
    assert RuleRun.objects.count() == 0
    assert LedgerEntry.objects.count() == 0


def test_rate_limit_once_per_contact(contact, django_capture_on_commit_callbacks):
    rule = _rule(rate_limit_count=1, rate_limit_days=0)
    _publish("referral.converted", contact, django_capture_on_commit_callbacks)
    _publish("referral.converted", contact, django_capture_on_commit_callbacks)
    assert list(
        RuleRun.objects.filter(rule=rule).order_by("id").values_list("status", flat=True)
    ) == [
        "fired",
        "skipped",
    ]
    assert balance_get(contact=contact).spendable == 200


def test_delay_schedules_then_run_due_executes(contact, django_capture_on_commit_callbacks):
    rule = _rule(delay_amount=3, delay_unit="days")
    event = _publish("referral.converted", contact, django_capture_on_commit_callbacks)
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "scheduled"
    assert run.due_at == event.occurred_at + timedelta(days=3)
    assert services.runs_execute_due(now=event.occurred_at + timedelta(days=2)) == 0
    assert balance_get(contact=contact).spendable == 0
    services.runs_execute_due(now=event.occurred_at + timedelta(days=3, seconds=1))
    assert RuleRun.objects.get(pk=run.pk).status == "fired"
    assert balance_get(contact=contact).spendable == 200


def test_all_actions_email_task_stage_invite_badge(contact, django_capture_on_commit_callbacks):
    rule = _rule(
        event_type="reference.completed",
        actions=[
            {
                "type": "send_email",
                "to": "contact",
                "subject": "Thanks {{ contact.first_name }}",
                "body": "You helped {{ event.prospect }}.",
            },
            {"type": "create_task", "title": "Call {{ contact.name }}", "due_in_days": 2},
            {"type": "change_stage", "stage": "champion"},
            {"type": "invite", "target": "program", "name": "Customer advisory board"},
            {"type": "award_badge", "badge": "Reference hero"},
        ],
    )
    _publish("reference.completed", contact, django_capture_on_commit_callbacks, prospect="Initech")
    run = RuleRun.objects.get(rule=rule)
    assert run.status == "fired", run.reason
    assert [m.subject for m in mail.outbox] == ["Thanks Jane"]
    assert "You helped Initech." in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    task = FollowUpTask.objects.get()
    assert (task.title, task.assignee.email) == ("Call Jane Doe", "csm@acme.test")
    contact.refresh_from_db()
    assert contact.stage == "champion"
    assert DomainEvent.objects.filter(type="contact.stage_changed").count() == 1
    kinds = sorted(Activity.objects.filter(contact=contact).values_list("kind", flat=True))
    assert kinds == ["ask.logged", "badge.awarded"]


def test_dry_run_matches_what_the_rule_then_does(db, django_capture_on_commit_callbacks):
    now = timezone.now()
    promoters = [ContactFactory(stage="promoter") for _ in range(3)]
    customers = [ContactFactory(stage="customer") for _ in range(2)]
    events = []
    with django_capture_on_commit_callbacks(execute=False):
        for i, person in enumerate(promoters + customers + [promoters[0]]):
            events.append(
                event_publish(
                    type="nps.answered",
                    contact=person,
                    data={"contact_id": person.pk, "score": 10 if i != 1 else 6},
                    occurred_at=now - timedelta(days=20 - i),
                )
            )
    # An old event outside the 30-day window, and imported history without a domain event.
    activity_record(
        kind="nps.answered",
        contact=customers[0],
        data={"score": 10},
        publish=False,
        occurred_at=now - timedelta(days=45),
    )
    activity_record(
        kind="nps.answered",
        contact=customers[1],
        data={"score": 10},
        publish=False,
        occurred_at=now - timedelta(days=2),
    )
    rule = services.rule_create(
        name="Promoter 10s",
        trigger="event",
        event_type="nps.answered",
        conditions=[
            {"field": "event.score", "op": "eq", "value": 10},
            {"field": "contact.stage", "op": "eq", "value": "promoter"},
        ],
        rate_limit_count=1,
        actions=[{"type": "award_points", "points": 50}],
    )
    result = services.rule_dry_run(rule=rule, now=now)
    assert result["triggers"] == 7
    assert result["would_fire"] == 2  # promoters[0] (once: limit) and promoters[2]
    assert result["contacts"] == 2
    assert dict(result["skipped"]) == {
        "event.score equals 10 was false": 1,
        "contact.stage equals 'promoter' was false": 3,
        "rate limit: already fired 1× for this contact ever": 1,
    }
    services.rule_set_enabled(rule=rule, is_enabled=True, now=now - timedelta(days=31))
    for event in events:
        services.event_dispatch(event_id=event.pk, now=now)
    fired = set(RuleRun.objects.filter(rule=rule, status="fired").values_list("key", flat=True))
    predicted = {k for k in result["fired_keys"] if k.startswith("event:")}
    assert fired == predicted
    assert balance_get(contact=promoters[0]).spendable == 50


def test_schedule_fires_once_per_local_day(db):
    tokyo_rule = services.rule_create(
        name="Daily Tokyo",
        trigger="schedule",
        frequency="daily",
        run_at=time(9, 0),
        time_zone="Asia/Tokyo",
        conditions=[{"field": "contact.stage", "op": "eq", "value": "champion"}],
        actions=[{"type": "award_points", "points": 5}],
    )
    champion = ContactFactory(stage="champion")
    ContactFactory(stage="customer")
    services.rule_set_enabled(
        rule=tokyo_rule, is_enabled=True, now=datetime(2025, 3, 9, 0, 0, tzinfo=UTC)
    )
    # 23:59 UTC on 9 March = 08:59 on 10 March in Tokyo: not yet.
    # 23:59 UTC is 08:59 on 10 March in Tokyo: 9 March's slot fires (once), not 10 March's.
    services.schedules_run(now=datetime(2025, 3, 9, 23, 59, tzinfo=UTC))
    assert not RuleRun.objects.filter(key__startswith="slot:2025-03-10").exists()
    runs_before = RuleRun.objects.filter(rule=tokyo_rule, status="fired").count()
    services.schedules_run(now=datetime(2025, 3, 10, 0, 1, tzinfo=UTC))  # 09:01 in Tokyo
    services.schedules_run(now=datetime(2025, 3, 10, 5, 0, tzinfo=UTC))  # same local day
    fired = RuleRun.objects.filter(rule=tokyo_rule, status="fired")
    assert fired.count() - runs_before == 1
    assert fired.filter(key__startswith="slot:2025-03-10T09:00:00+09:00").count() == 1
    assert balance_get(contact=champion).spendable == 5 * fired.count()


def test_anniversary_date_rule_in_company_time_zone(db, settings):
    settings.OVATION_COMPANY_TIME_ZONE = "America/Los_Angeles"
    account = AccountFactory(customer_since=date(2021, 6, 15))
    person = ContactFactory(account=account)
    ContactFactory(account=AccountFactory(customer_since=date(2021, 6, 16)))
    rule = services.rule_create(
        name="Anniversary",
        trigger="date",
        date_field="customer_anniversary",
        run_at=time(9, 0),
        actions=[{"type": "award_points", "points": 250}],
    )
    services.rule_set_enabled(rule=rule, is_enabled=True, now=datetime(2025, 6, 1, tzinfo=UTC))
    # 15 June 10:00 UTC is still 03:00 in Los Angeles: the 09:00 slot is 14 June's.
    services.schedules_run(now=datetime(2025, 6, 15, 10, 0, tzinfo=UTC))
    assert balance_get(contact=person).spendable == 0
    services.schedules_run(now=datetime(2025, 6, 15, 16, 5, tzinfo=UTC))  # 09:05 in LA
    assert balance_get(contact=person).spendable == 250
    assert RuleRun.objects.filter(rule=rule, status="fired").count() == 1


def test_enable_refuses_slack_without_url_and_changes_nothing(db):
    rule = AutomationRule.objects.get(recipe_key="referral-won-slack")
    from ovation.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        services.rule_set_enabled(rule=rule, is_enabled=True)
    assert exc.value.field == "actions.1.url"
    assert AutomationRule.objects.get(pk=rule.pk).is_enabled is False


def test_recipes_exist_disabled(db):
    assert set(
        AutomationRule.objects.filter(is_enabled=False).values_list("recipe_key", flat=True)
    ) == {
        "reference-thank-you",
        "customer-anniversary",
        "first-nps-10-hub-invite",
        "level-up-celebration",
        "referral-won-slack",
        "idea-shipped",
    }


def test_sweeper_dispatches_events_that_were_never_dispatched(contact):
    # Committed, but the process died before the on-commit enqueue.
    event = DomainEvent.objects.create(
        type="referral.converted",
        contact=contact,
        data={},
        occurred_at=timezone.now() - timedelta(minutes=5),
    )
    rule = _rule()
    assert services.events_dispatch_pending() == 1
    assert RuleRun.objects.get(rule=rule).status == "fired"
    assert DomainEvent.objects.get(pk=event.pk).dispatched_at is not None
    assert services.events_dispatch_pending() == 0


# --- views ----------------------------------------------------------------------------------


def test_builder_creates_rule_and_names_bad_fields(client, manager):
    client.force_login(manager)
    data = {
        "name": "Referral won",
        "trigger": "event",
        "event_type": "referral.converted",
        "delay_unit": "days",
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
        "cond-0-field": "account.industry",
        "cond-0-op": "in",
        "cond-0-value": "Retail, Banking",
        "act-TOTAL_FORMS": "2",
        "act-INITIAL_FORMS": "0",
        "act-0-type": "award_points",
        "act-0-points": "200",
        "act-1-type": "",
    }
    response = client.post(reverse("automations:rule-create"), data)
    rule = AutomationRule.objects.get(name="Referral won")
    assert response.status_code == 302
    assert rule.conditions == [
        {"field": "account.industry", "op": "in", "value": ["Retail", "Banking"]}
    ]
    assert rule.actions == [{"type": "award_points", "points": 200, "reason": ""}]
    assert rule.is_enabled is False

    bad = {
        **data,
        "name": "Bad",
        "act-0-type": "post_slack",
        "act-0-text": "hi",
        "act-0-url": "http://127.0.0.1/x",
    }
    response = client.post(reverse("automations:rule-create"), bad)
    assert response.status_code == 200
    assert "this URL is not allowed" in response.content.decode()
    assert not AutomationRule.objects.filter(name="Bad").exists()


def test_enable_needs_a_fresh_dry_run_shown_on_the_page(client, manager, contact):
    client.force_login(manager)
    rule = services.rule_create(
        name="R",
        trigger="event",
        event_type="referral.converted",
        actions=[{"type": "award_points", "points": 1}],
    )
    page = client.get(reverse("automations:rule-detail", args=[rule.pk])).content.decode()
    assert "Run the dry run to enable the rule." in page
    response = client.post(
        reverse("automations:rule-dry-run", args=[rule.pk]), HTTP_HX_REQUEST="true"
    )
    assert "This rule would have fired 0 times in the last 30 days." in response.content.decode()
    client.post(reverse("automations:rule-toggle", args=[rule.pk]), {"enable": "1"})
    assert AutomationRule.objects.get(pk=rule.pk).is_enabled is True


def test_sales_cannot_see_or_change_rules(client, db):
    sales = UserFactory(role="sales")
    client.force_login(sales)
    rule = AutomationRule.objects.get(recipe_key="idea-shipped")
    assert client.get(reverse("automations:rule-list")).status_code == 403
    assert (
        client.post(reverse("automations:rule-toggle", args=[rule.pk]), {"enable": "1"}).status_code
        == 403
    )
    assert AutomationRule.objects.get(pk=rule.pk).is_enabled is False


def test_lists_have_a_query_budget(
    client, manager, contact, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    rule = _rule()
    for _ in range(5):
        _publish("referral.converted", contact, django_capture_on_commit_callbacks)
    client.force_login(manager)
    for name, args in [
        ("automations:rule-list", []),
        ("automations:rule-detail", [rule.pk]),
        ("automations:follow-up-list", []),
        ("automations:endpoint-list", []),
        ("automations:job-list", []),
        ("automations:email-list", []),
    ]:
        with django_assert_max_num_queries(14):
            assert client.get(reverse(name, args=args)).status_code == 200


def test_demo_loads_history_and_a_disabled_endpoint(db):
    from ovation.automations import demo
    from ovation.automations.models import WebhookEndpoint
    from ovation.core.demokit import DemoContext

    for i in range(5):
        ContactFactory(crm_id=f"ACME-CON-{i}")
    ctx = DemoContext()
    assert not demo.already_loaded(ctx)
    demo.load(ctx)
    assert demo.already_loaded(ctx)
    endpoint = WebhookEndpoint.objects.get(url=demo.DEMO_URL)
    assert endpoint.is_enabled is False
    assert endpoint.deliveries.count() == 12
    assert AutomationRule.objects.filter(is_enabled=True).count() == 2
    assert RuleRun.objects.filter(status="fired").exists()
