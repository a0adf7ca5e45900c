"""Manager builds "when a referral is won -> award 200 points and post to Slack", dry-runs it,
enables it; a referral.converted event then does both (Slack faked by a local receiver)."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ovation.activity.services import event_publish
from ovation.automations import webhooks
from ovation.automations.models import AutomationRule
from ovation.ledger.services import balance_get
from ovation.users.models import User

from .factories import AccountFactory, ContactFactory
from .receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    User.objects.create_user(
        "manager@acme.test", "ovation-demo-pw", role="manager", full_name="Morgan Manager"
    )
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=login]", "manager@acme.test")
    page.fill("input[name=password]", "ovation-demo-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


def test_manager_builds_dry_runs_and_enables_referral_rule(page, live_server, screenshot, settings):
    settings.OVATION_WEBHOOKS_ALLOW_PRIVATE = True
    csm = User.objects.create_user("csm@acme.test", role="csm", full_name="Casey Csm")
    referrer = ContactFactory(
        first_name="Rita",
        last_name="Referrer",
        account=AccountFactory(name="Globex", csm_owner=csm),
    )
    # Last month, two referrals were won: the dry run finds them.
    for days in (12, 4):
        event_publish(
            type="referral.converted",
            contact=referrer,
            data={"referral_id": days},
            occurred_at=timezone.now() - timedelta(days=days),
        )
    with Receiver() as slack:
        _login(page, live_server)
        page.goto(f"{live_server.url}/automations/")
        page.click("text=New rule")
        page.fill("input[name=name]", "Referral won: thank the referrer")
        page.select_option("select[name=trigger]", "event")
        page.fill("input[name=event_type]", "referral.converted")
        page.select_option("select[name=act-0-type]", "award_points")
        page.fill("input[name=act-0-points]", "200")
        page.select_option("select[name=act-1-type]", "post_slack")
        page.fill("input[name=act-1-url]", slack.url)
        page.fill(
            "textarea[name=act-1-text]",
            ":tada: {{ contact.name }} ({{ account.name }}) referred a new customer! {{ account.csm_name }}, say thanks.",
        )
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot("automations-rule-builder")
        page.click("button:has-text('Save rule')")
        page.wait_for_selector("text=Run the dry run to enable the rule.")
        page.click("button:has-text('Run the dry run')")
        headline = page.wait_for_selector("[data-testid=dry-run-headline]")
        assert (
            headline.inner_text()
            == "This rule would have fired 2 times in the last 30 days for 1 contact."
        )
        screenshot("automations-dry-run")
        page.click("button:has-text('Enable this rule')")
        page.wait_for_selector("text=is enabled")
        rule = AutomationRule.objects.get(name="Referral won: thank the referrer")
        assert rule.is_enabled
        assert slack.requests == []  # the dry run sent nothing

        event_publish(type="referral.converted", contact=referrer, data={"referral_id": 99})

        assert balance_get(contact=referrer).spendable == 200
        assert [json.loads(r["body"]) for r in slack.requests] == [
            {
                "text": ":tada: Rita Referrer (Globex) referred a new customer! Casey Csm, say thanks."
            }
        ]
        page.reload()
        page.wait_for_selector("text=fired")
        screenshot("automations-rule-history")


def test_jobs_and_delivery_log_pages(page, live_server, screenshot, settings):
    settings.OVATION_WEBHOOKS_ALLOW_PRIVATE = True
    from django_tasks_db.models import DBTaskResult

    with Receiver(statuses=[500, 502]) as receiver:
        endpoint, _ = webhooks.endpoint_create(
            url=receiver.url,
            event_types=["referral.converted", "reference.completed"],
            description="CRM sync",
        )
        contact = ContactFactory()
        for i in range(3):
            event_publish(type="referral.converted", contact=contact, data={"referral_id": i})
        webhooks.deliveries_run_due(now=timezone.now() + timedelta(hours=1), inline=True)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        from ovation.automations.tasks import email_deliver_task, webhook_deliver_task

        webhook_deliver_task.enqueue(delivery_id=1)
        failed = email_deliver_task.enqueue(message_id=41)
        DBTaskResult.objects.filter(pk=failed.id).update(
            status="FAILED",
            exception_class_path="smtplib.SMTPServerDisconnected",
            traceback="smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        )
        _login(page, live_server)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/automations/jobs/")
        page.wait_for_selector("text=Background jobs")
        screenshot("automations-jobs")
        page.click("button:has-text('Retry')")
        page.wait_for_selector("text=queued again")
        assert DBTaskResult.objects.filter(status="FAILED").count() == 0
    page.goto(f"{live_server.url}/automations/webhooks/{endpoint.pk}/")
    page.wait_for_selector("text=Delivery log")
    screenshot("automations-deliveries")
    page.goto(f"{live_server.url}/automations/")
    screenshot("automations-rules")
