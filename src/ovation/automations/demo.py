"""Demo: the built-in recipes, two enabled rules with run history, a follow-up or two, and one
webhook endpoint (disabled, pointing at an example URL) with a delivery log."""

import json
import secrets
from datetime import timedelta

from ovation.directory.models import Contact

from .models import (
    AutomationRule,
    FollowUpTask,
    RuleRun,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .recipes import recipes_install
from .transport import secret_generate

DEMO_URL = "https://crm.example.com/hooks/ovation"


def already_loaded(ctx) -> bool:
    return WebhookEndpoint.objects.filter(url=DEMO_URL).exists()


def reset(ctx) -> None:
    WebhookEndpoint.objects.filter(url=DEMO_URL).delete()
    AutomationRule.objects.filter(
        recipe_key__isnull=True, description__startswith="[demo]"
    ).delete()
    RuleRun.objects.filter(key__startswith="demo:").delete()
    AutomationRule.objects.filter(recipe_key__isnull=False).update(
        is_enabled=False, enabled_at=None
    )


def load(ctx) -> None:
    rng = ctx.rng("automations")
    recipes_install(AutomationRule)
    contacts = list(
        Contact.objects.filter(crm_id__startswith="ACME-CON-")
        .select_related("account")
        .order_by("id")[:400]
    )
    if not contacts:
        return
    promoter_rule = AutomationRule.objects.create(
        name="NPS 10 → 50 points and a thank-you",
        description="[demo] Every 10 earns points; at most once a quarter per person.",
        trigger="event",
        event_type="nps.answered",
        conditions=[{"field": "event.score", "op": "eq", "value": 10}],
        actions=[
            {"type": "award_points", "points": 50, "reason": "Thanks for the 10"},
            {
                "type": "send_email",
                "to": "contact",
                "template": "rule_message",
                "subject": "Thank you, {{ contact.first_name }}!",
                "body": "Hi {{ contact.first_name }},\n\nA 10 made our week. We added 50 points "
                "to your balance.\n\nThe customer team",
            },
        ],
        rate_limit_count=1,
        rate_limit_days=90,
        is_enabled=True,
        enabled_at=ctx.now - timedelta(days=60),
    )
    anniversary = AutomationRule.objects.get(recipe_key="customer-anniversary")
    AutomationRule.objects.filter(pk=anniversary.pk).update(
        is_enabled=True, enabled_at=ctx.now - timedelta(days=90)
    )
    runs = []
    for i in range(40 * ctx.factor if ctx.factor < 5 else 200):
        person = rng.choice(contacts)
        at = ctx.now - timedelta(days=rng.uniform(0, 60))
        status = rng.choices(["fired", "skipped", "failed"], weights=[7, 3, 0.3])[0]
        reason = {
            "fired": "",
            "skipped": rng.choice(
                [
                    "event.score equals 10 was false (it is 8)",
                    "rate limit: already fired 1× for this contact in 90 days",
                ]
            ),
            "failed": "action 2 (Send an email): the contact has no email address",
        }[status]
        runs.append(
            RuleRun(
                rule=promoter_rule,
                key=f"demo:{i}",
                contact=person,
                status=status,
                reason=reason,
                finished_at=at,
            )
        )
    for i, person in enumerate(contacts[:6]):
        runs.append(
            RuleRun(
                rule=anniversary,
                key=f"demo:anniversary:{i}",
                contact=person,
                status="fired",
                finished_at=ctx.now - timedelta(days=rng.uniform(1, 80)),
            )
        )
    created = RuleRun.objects.bulk_create(runs)
    # created_at is auto_now_add: spread the history over the past two months.
    for run in created:
        RuleRun.objects.filter(pk=run.pk).update(created_at=run.finished_at)
    for i, run in enumerate(r for r in created if r.rule_id == anniversary.pk):
        account = run.contact.account
        FollowUpTask.objects.create(
            run=run,
            key=f"demo:followup:{i}",
            contact=run.contact,
            account=account,
            assignee_id=account.csm_owner_id if account else None,
            title=f"Send {run.contact.first_name} {run.contact.last_name} a personal anniversary note",
            due_on=(ctx.now + timedelta(days=rng.randint(-2, 5))).date(),
            is_done=i % 3 == 0,
        )
    endpoint = WebhookEndpoint.objects.create(
        url=DEMO_URL,
        description="CRM sync (example)",
        event_types=["referral.converted", "reference.completed", "nps.answered"],
        secret=secret_generate(),
        is_enabled=False,
        disabled_reason="failing for 72 hours or more (9 failed attempts in a row)",
        disabled_at=ctx.now - timedelta(days=2),
        consecutive_failures=9,
        failing_since=ctx.now - timedelta(days=5),
        last_success_at=ctx.now - timedelta(days=5, hours=3),
    )
    for i in range(12):
        at = ctx.now - timedelta(days=12 - i)
        ok = i < 8
        person = rng.choice(contacts)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            kind="subscription",
            dedupe_key=f"demo:{endpoint.pk}:{i}",
            event_type=rng.choice(endpoint.event_types),
            message_id="msg_" + secrets.token_urlsafe(18),
            body=json.dumps(
                {
                    "type": "referral.converted",
                    "timestamp": at.isoformat(),
                    "data": {"contact_id": person.pk},
                }
            ),
            status="delivered" if ok else ("failed" if i < 10 else "pending"),
            attempts=1 if ok else 8,
            last_status_code=200 if ok else 503,
            last_error="" if ok else "HTTP 503",
            delivered_at=at if ok else None,
            next_attempt_at=None if i < 10 else ctx.now + timedelta(hours=2),
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=at)
        attempts = [200] if ok else [503, 503, 502, 503, 504, 503, 503, 503]
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery=delivery,
                number=n + 1,
                attempted_at=at + timedelta(minutes=5 * n * n),
                status_code=code,
                response_excerpt="ok" if code == 200 else "Service Unavailable",
                duration_ms=rng.randint(40, 900),
            )
            for n, code in enumerate(attempts)
        )
