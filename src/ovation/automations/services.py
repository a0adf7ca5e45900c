"""Automation rules: save/enable, dispatch of domain events, schedules and date triggers,
execution of actions, dry run. Every decision goes through `conditions.rule_decide`.

Exactly once: a run is unique per (rule, trigger key) and every action has its own
idempotency key (ledger key, email dedupe key, delivery dedupe key, follow-up key), so a
retried task resumes instead of repeating."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ovation.activity.models import DomainEvent
from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import ServiceError
from ovation.directory.models import Account, Contact
from ovation.ledger.services import ledger_credit

from . import conditions as cond
from . import selectors, webhooks
from .email import email_send, template_text_render, template_text_validate
from .models import AutomationRule, FollowUpTask, RuleRun, WebhookEndpoint

logger = logging.getLogger(__name__)

RUN_LEASE = timedelta(minutes=5)
DRY_RUN_DAYS = 30

ACTION_TYPES = {
    "award_points": "Award points",
    "award_badge": "Award a badge",
    "send_email": "Send an email",
    "post_slack": "Post to Slack",
    "call_webhook": "Call a webhook endpoint",
    "create_task": "Create a follow-up task for the CSM",
    "change_stage": "Change the contact's stage",
    "invite": "Invite to a challenge or program",
}
INVITE_TARGETS = {"program": "Program", "challenge": "Challenge", "hub": "Advocate hub"}


# --- validation -----------------------------------------------------------------------------


def actions_validate(actions: Any, *, for_enable: bool = False) -> list[dict]:
    """Normalise the action list; ServiceError names `actions.<n>.<param>`."""
    if not isinstance(actions, list):
        raise ServiceError("actions must be a list", field="actions")
    clean: list[dict] = []
    for i, action in enumerate(actions, start=1):
        where = f"actions.{i}"
        if not isinstance(action, dict):
            raise ServiceError(f"action {i}: must be an object", field=where)
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            raise ServiceError(f"action {i}: unknown action type {kind!r}", field=f"{where}.type")
        item: dict[str, Any] = {"type": kind}
        if kind == "award_points":
            try:
                points = int(action.get("points"))
            except (TypeError, ValueError):
                points = 0
            if points <= 0 or points > 100000:
                raise ServiceError(
                    f"action {i}: points must be a whole number from 1 to 100000",
                    field=f"{where}.points",
                )
            item["points"] = points
            item["reason"] = str(action.get("reason") or "")[:200]
        elif kind == "award_badge":
            badge = str(action.get("badge") or "").strip()
            if not badge:
                raise ServiceError(f"action {i}: name the badge", field=f"{where}.badge")
            item["badge"] = badge[:100]
        elif kind == "send_email":
            to = action.get("to") or "contact"
            if to not in {"contact", "csm"}:
                raise ServiceError(f"action {i}: send to contact or csm", field=f"{where}.to")
            item["to"] = to
            template = action.get("template") or "rule_message"
            item["template"] = template
            if template == "rule_message":
                subject = str(action.get("subject") or "").strip()
                body = str(action.get("body") or "").strip()
                if not subject:
                    raise ServiceError(
                        f"action {i}: the email needs a subject", field=f"{where}.subject"
                    )
                if not body:
                    raise ServiceError(f"action {i}: the email needs a body", field=f"{where}.body")
                item["subject"] = template_text_validate(subject, field=f"{where}.subject")[:300]
                item["body"] = template_text_validate(body, field=f"{where}.body")
        elif kind == "post_slack":
            url = str(action.get("url") or "").strip()
            text = str(action.get("text") or "").strip()
            if not text:
                raise ServiceError(f"action {i}: write the Slack message", field=f"{where}.text")
            item["text"] = template_text_validate(text, field=f"{where}.text")
            if url or for_enable:
                if not url:
                    raise ServiceError(
                        f"action {i}: paste the Slack incoming-webhook URL", field=f"{where}.url"
                    )
                url = webhooks.url_validate(url, field=f"{where}.url")
            item["url"] = url
        elif kind == "call_webhook":
            try:
                endpoint_id = int(action.get("endpoint_id"))
            except (TypeError, ValueError):
                endpoint_id = 0
            if not WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
                raise ServiceError(
                    f"action {i}: choose a webhook endpoint", field=f"{where}.endpoint_id"
                )
            item["endpoint_id"] = endpoint_id
        elif kind == "create_task":
            title = str(action.get("title") or "").strip()
            if not title:
                raise ServiceError(f"action {i}: the task needs a title", field=f"{where}.title")
            item["title"] = template_text_validate(title, field=f"{where}.title")[:300]
            try:
                item["due_in_days"] = max(0, min(365, int(action.get("due_in_days") or 3)))
            except (TypeError, ValueError) as exc:
                raise ServiceError(
                    f"action {i}: due in days must be a number", field=f"{where}.due_in_days"
                ) from exc
        elif kind == "change_stage":
            stage = action.get("stage")
            if stage not in Contact.Stage.values:
                raise ServiceError(f"action {i}: choose a stage", field=f"{where}.stage")
            item["stage"] = stage
        elif kind == "invite":
            target = action.get("target") or "program"
            if target not in INVITE_TARGETS:
                raise ServiceError(f"action {i}: choose what to invite to", field=f"{where}.target")
            item["target"] = target
            item["name"] = str(action.get("name") or "").strip()[:200]
            if target != "hub" and not item["name"]:
                raise ServiceError(
                    f"action {i}: name the {target} to invite to", field=f"{where}.name"
                )
        clean.append(item)
    if for_enable and not clean:
        raise ServiceError("add at least one action before enabling", field="actions")
    return clean


def _validate_trigger(fields: dict) -> dict:
    trigger = fields.get("trigger") or AutomationRule.Trigger.EVENT
    if trigger not in AutomationRule.Trigger.values:
        raise ServiceError("choose a trigger", field="trigger")
    out: dict[str, Any] = {"trigger": trigger}
    if trigger == "event":
        event_type = str(fields.get("event_type") or "").strip()
        if not event_type or " " in event_type or len(event_type) > 80:
            raise ServiceError("choose the event that triggers the rule", field="event_type")
        out.update(event_type=event_type, frequency="", weekday=None, date_field="")
    elif trigger == "schedule":
        frequency = fields.get("frequency")
        if frequency not in AutomationRule.Frequency.values:
            raise ServiceError("choose daily or weekly", field="frequency")
        weekday = fields.get("weekday")
        if frequency == "weekly" and weekday in (None, ""):
            raise ServiceError("choose the day of the week", field="weekday")
        out.update(
            frequency=frequency,
            weekday=int(weekday) if frequency == "weekly" else None,
            event_type="",
            date_field="",
        )
    else:
        date_field = fields.get("date_field")
        if date_field not in AutomationRule.DateField.values:
            raise ServiceError("choose the date", field="date_field")
        out.update(date_field=date_field, event_type="", frequency="", weekday=None)
        out["days_before"] = int(fields.get("days_before") or 0)
    if trigger != "event":
        out["run_at"] = fields.get("run_at") or datetime.strptime("09:00", "%H:%M").time()
    tz_name = str(fields.get("time_zone") or "").strip()
    if tz_name:
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz_name)
        except (KeyError, ValueError) as exc:
            raise ServiceError(f"unknown time zone {tz_name!r}", field="time_zone") from exc
        except Exception as exc:  # noqa: BLE001 - ZoneInfoNotFoundError and friends
            raise ServiceError(f"unknown time zone {tz_name!r}", field="time_zone") from exc
    out["time_zone"] = tz_name
    return out


RULE_FIELDS = {
    "name",
    "description",
    "trigger",
    "event_type",
    "frequency",
    "weekday",
    "run_at",
    "date_field",
    "days_before",
    "time_zone",
    "conditions",
    "actions",
    "delay_amount",
    "delay_unit",
    "rate_limit_count",
    "rate_limit_days",
}


def _rule_values(fields: dict) -> dict:
    unknown = set(fields) - RULE_FIELDS
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    name = str(fields.get("name") or "").strip()
    if not name:
        raise ServiceError("give the rule a name", field="name")
    values: dict[str, Any] = {"name": name[:200], "description": fields.get("description") or ""}
    values.update(_validate_trigger(fields))
    try:
        values["conditions"] = cond.conditions_validate(fields.get("conditions") or [])
    except cond.ConditionError as exc:
        raise ServiceError(exc.message, field=exc.field) from exc
    values["actions"] = actions_validate(fields.get("actions") or [])
    for name_ in ("delay_amount", "rate_limit_count", "rate_limit_days"):
        try:
            number = int(fields.get(name_) or 0)
        except (TypeError, ValueError) as exc:
            raise ServiceError("must be a whole number", field=name_) from exc
        if number < 0:
            raise ServiceError("must not be negative", field=name_)
        values[name_] = number
    unit = fields.get("delay_unit") or "days"
    if unit not in AutomationRule.DelayUnit.values:
        raise ServiceError("choose minutes, hours or days", field="delay_unit")
    values["delay_unit"] = unit
    return values


@transaction.atomic
def rule_create(*, actor=None, **fields) -> AutomationRule:
    values = _rule_values(fields)
    return AutomationRule.objects.create(created_by=actor, **values)


@transaction.atomic
def rule_update(*, rule: AutomationRule, **fields) -> AutomationRule:
    values = _rule_values(fields)
    if rule.is_enabled:
        actions_validate(values["actions"], for_enable=True)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save(update_fields=[*values, "updated_at"])
    return rule


@transaction.atomic
def rule_set_enabled(
    *, rule: AutomationRule, is_enabled: bool, now: datetime | None = None
) -> AutomationRule:
    """Enable (checking the actions can run: Slack URLs set and allowed) or disable."""
    now = now or timezone.now()
    if is_enabled:
        actions_validate(rule.actions, for_enable=True)
        rule.is_enabled, rule.enabled_at = True, now
    else:
        rule.is_enabled = False
    rule.save(update_fields=["is_enabled", "enabled_at", "updated_at"])
    return rule


def rule_spec(rule: AutomationRule) -> cond.RuleSpec:
    return cond.RuleSpec(
        id=rule.pk,
        trigger=rule.trigger,
        event_type=rule.event_type,
        conditions=rule.conditions,
        rate_limit_count=rule.rate_limit_count,
        rate_limit_days=rule.rate_limit_days,
        delay_amount=rule.delay_amount,
        delay_unit=rule.delay_unit,
    )


def rule_time_zone(rule: AutomationRule):
    return cond.zone(rule.time_zone or selectors.company_time_zone())


# --- triggering -----------------------------------------------------------------------------


def _safe_context(facts: dict, rule: AutomationRule) -> dict:
    """Plain data for templates and snapshots (dates as ISO strings)."""

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        return str(value)

    return {**plain(facts), "rule": {"id": rule.pk, "name": rule.name}}


def _self_triggered(rule: AutomationRule, event: DomainEvent | None) -> bool:
    """An event a rule's own action published does not trigger that rule again."""
    return bool(event and (event.data or {}).get("automation_rule_id") == rule.pk)


def rule_trigger(
    *,
    rule: AutomationRule,
    key: str,
    facts: dict,
    contact_id: int | None,
    event: DomainEvent | None = None,
    occurred_at: datetime | None = None,
    now: datetime | None = None,
) -> RuleRun:
    """Decide and record one run for one trigger (idempotent on (rule, key)); executes it
    now, or leaves it scheduled when the rule has a delay."""
    now = now or timezone.now()
    existing = RuleRun.objects.filter(rule=rule, key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            # Serialise runs of one rule so the per-contact rate limit holds under concurrency.
            AutomationRule.objects.select_for_update().filter(pk=rule.pk).first()
            fired = selectors.fired_times(rule=rule, contact_ids=[contact_id]) if contact_id else {}
            if _self_triggered(rule, event):
                decision = cond.Decision(False, "published by this rule's own action")
            else:
                decision = cond.rule_decide(
                    rule_spec(rule),
                    event_type=event.type if event else None,
                    facts=facts,
                    fired_at=fired.get(contact_id, []),
                    now=now,
                    occurred_at=occurred_at,
                )
            if not decision.fire:
                status = RuleRun.Status.SKIPPED
            elif decision.due_at and decision.due_at > now:
                status = RuleRun.Status.SCHEDULED
            else:
                status = RuleRun.Status.RUNNING
            run = RuleRun.objects.create(
                rule=rule,
                key=key,
                event=event if event is not None and event.pk else None,
                contact_id=contact_id,
                status=status,
                reason=decision.reason[:500],
                due_at=decision.due_at if status == RuleRun.Status.SCHEDULED else None,
                context=_safe_context(facts, rule),
                finished_at=now if status == RuleRun.Status.SKIPPED else None,
            )
    except IntegrityError:
        return RuleRun.objects.get(rule=rule, key=key)
    if status == RuleRun.Status.RUNNING:
        run_execute(run_id=run.pk, now=now)
        run.refresh_from_db()
    elif status == RuleRun.Status.SCHEDULED:
        _enqueue_run(run.pk, run_after=run.due_at)
    return run


def _enqueue_run(run_id: int, run_after: datetime | None) -> None:
    from django_tasks import task_backends

    from .tasks import rule_run_task

    if run_after is not None and not task_backends["default"].supports_defer:
        return  # `ovation automations run-due` picks it up
    task = rule_run_task.using(run_after=run_after) if run_after else rule_run_task
    transaction.on_commit(lambda: task.enqueue(run_id=run_id))


def event_dispatch(*, event_id: int, now: datetime | None = None) -> dict:
    """Everything an event causes: rule runs and webhook deliveries. Safe to run any number
    of times for the same event."""
    now = now or timezone.now()
    event = DomainEvent.objects.filter(pk=event_id).first()
    if event is None:
        return {"rules": 0, "deliveries": 0}
    rules = list(
        AutomationRule.objects.filter(is_enabled=True, trigger="event", event_type=event.type)
    )
    result = {"rules": 0, "deliveries": 0}
    if rules:
        contact_id = selectors.event_contact_id(event)
        base = selectors.contact_facts([contact_id]).get(contact_id) if contact_id else None
        facts = selectors.event_facts(event, base)
        for rule in rules:
            run = rule_trigger(
                rule=rule,
                key=f"event:{event.pk}",
                facts=facts,
                contact_id=contact_id if base else None,
                event=event,
                occurred_at=event.occurred_at,
                now=now,
            )
            result["rules"] += run.status != RuleRun.Status.SKIPPED
    for endpoint in WebhookEndpoint.objects.filter(is_enabled=True):
        if endpoint.subscribes_to(event.type):
            _, created = webhooks.delivery_create_for_event(endpoint=endpoint, event=event)
            result["deliveries"] += created
    DomainEvent.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(dispatched_at=now)
    return result


def events_dispatch_pending(*, now: datetime | None = None, older_than_seconds: int = 60) -> int:
    """Enqueue dispatch for events committed but never dispatched (a crash between the commit
    and the enqueue). Returns how many were enqueued."""
    from .tasks import event_dispatch_task

    now = now or timezone.now()
    ids = list(
        DomainEvent.objects.filter(
            dispatched_at__isnull=True, occurred_at__lte=now - timedelta(seconds=older_than_seconds)
        )
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    for event_id in ids:
        event_dispatch_task.enqueue(event_id=event_id)
    return len(ids)


# --- execution ------------------------------------------------------------------------------


def run_execute(*, run_id: int, now: datetime | None = None) -> str:
    """Perform the actions of a due run. Claims the run with a lease, so two workers never
    run it at once; actions are idempotent, so a retry after a crash repeats nothing."""
    now = now or timezone.now()
    claimed = (
        RuleRun.objects.filter(
            pk=run_id, status__in=[RuleRun.Status.RUNNING, RuleRun.Status.SCHEDULED]
        )
        .filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(status=RuleRun.Status.RUNNING, locked_until=now + RUN_LEASE)
    )
    if not claimed:
        return "not due"
    run = RuleRun.objects.select_related("rule", "contact", "contact__account", "event").get(
        pk=run_id
    )
    RuleRun.objects.filter(pk=run_id).update(attempts=run.attempts + 1)
    if not run.rule.is_enabled and run.due_at:
        RuleRun.objects.filter(pk=run_id).update(
            status=RuleRun.Status.SKIPPED,
            reason="the rule was disabled before it was due",
            finished_at=now,
        )
        return "skipped"
    done = list(run.actions_done)
    for index, action in enumerate(run.rule.actions):
        if index in done:
            continue
        try:
            with transaction.atomic():
                _action_perform(run=run, index=index, action=action, now=now)
        except ServiceError as exc:
            RuleRun.objects.filter(pk=run_id).update(
                status=RuleRun.Status.FAILED,
                reason=f"action {index + 1} ({ACTION_TYPES.get(action.get('type'), '?')}): {exc.message}"[
                    :500
                ],
                finished_at=timezone.now(),
                locked_until=None,
                actions_done=done,
            )
            return "failed"
        done.append(index)
        RuleRun.objects.filter(pk=run_id).update(actions_done=done)
    RuleRun.objects.filter(pk=run_id).update(
        status=RuleRun.Status.FIRED, finished_at=timezone.now(), locked_until=None
    )
    return "fired"


def runs_execute_due(*, now: datetime | None = None) -> int:
    """Execute scheduled runs that are due and running runs whose lease expired."""
    now = now or timezone.now()
    ids = list(
        RuleRun.objects.filter(
            Q(status=RuleRun.Status.SCHEDULED, due_at__lte=now)
            | Q(status=RuleRun.Status.RUNNING, locked_until__lte=now)
            | Q(
                status=RuleRun.Status.RUNNING,
                locked_until__isnull=True,
                created_at__lte=now - RUN_LEASE,
            )
        ).values_list("id", flat=True)[:1000]
    )
    for run_id in ids:
        run_execute(run_id=run_id, now=now)
    return len(ids)


def _action_key(run: RuleRun, index: int) -> str:
    trigger = run.event_id if run.event_id else run.key
    return f"automation:{run.rule_id}:{trigger}:{index}"


def _optional(module: str, name: str):
    return selectors._optional(module, name)


def _action_perform(*, run: RuleRun, index: int, action: dict, now: datetime) -> None:
    rule, contact = run.rule, run.contact
    kind = action["type"]
    key = _action_key(run, index)
    ctx = run.context or {}
    needs_contact = kind in {"award_points", "award_badge", "change_stage", "invite"}
    if needs_contact and contact is None:
        raise ServiceError("this action needs a contact and the trigger has none")
    if kind == "award_points":
        ledger_credit(
            contact=contact,
            points=int(action["points"]),
            idempotency_key=key,
            source_type="automation",
            source_id=rule.pk,
            reason=action.get("reason") or f"Automation: {rule.name}",
        )
    elif kind == "award_badge":
        _badge_award(contact=contact, name=action["badge"], rule=rule, key=key)
    elif kind == "send_email":
        if action.get("to") == "csm":
            to = (ctx.get("account") or {}).get("csm_email") or ""
            if not to:
                raise ServiceError("the account has no CSM to email")
            recipient_contact = None
        else:
            if contact is None or not contact.email:
                raise ServiceError("the contact has no email address")
            to, recipient_contact = contact.email, contact
        template = action.get("template") or "rule_message"
        context = dict(ctx)
        if template == "rule_message":
            context = {
                "subject": template_text_render(action["subject"], ctx),
                "body": template_text_render(action["body"], ctx),
                "contact": ctx.get("contact") or {},
            }
        email_send(
            to=to,
            template=template,
            context=context,
            event_type=rule.event_type or f"automation.{rule.trigger}",
            contact=recipient_contact,
            dedupe_key=key,
        )
    elif kind == "post_slack":
        if not action.get("url"):
            raise ServiceError("the Slack URL is missing")
        webhooks.delivery_create_slack(
            url=action["url"],
            text=template_text_render(action["text"], ctx),
            dedupe_key=key,
            event=run.event,
        )
    elif kind == "call_webhook":
        endpoint = WebhookEndpoint.objects.filter(pk=action.get("endpoint_id")).first()
        if endpoint is None:
            raise ServiceError("the webhook endpoint no longer exists")
        webhooks.delivery_create_for_rule(
            endpoint=endpoint,
            dedupe_key=key,
            event_type="automation.fired",
            data={
                "rule": {"id": rule.pk, "name": rule.name},
                "trigger": run.key,
                "event": (ctx.get("event") or {}),
                "contact_id": run.contact_id,
            },
            event=run.event,
        )
    elif kind == "create_task":
        account = contact.account if contact else None
        FollowUpTask.objects.get_or_create(
            key=key,
            defaults={
                "run": run,
                "contact": contact,
                "account": account,
                "assignee_id": account.csm_owner_id if account else None,
                "title": template_text_render(action["title"], ctx)[:300],
                "notes": f"Created by the automation “{rule.name}”.",
                "due_on": (now + timedelta(days=int(action.get("due_in_days") or 3))).date(),
            },
        )
    elif kind == "change_stage":
        _contact_stage_set(contact=contact, stage=action["stage"], rule=rule)
    elif kind == "invite":
        _invite(contact=contact, action=action, rule=rule, key=key)


def _badge_award(*, contact: Contact, name: str, rule: AutomationRule, key: str) -> None:
    """Award the hub badge whose name or slug matches; without such a badge (or without the
    hub), record the recognition on the timeline instead."""
    catalogue = _optional("ovation.hub.selectors", "badges_catalogue")
    award = _optional("ovation.hub.services", "badge_award")
    if catalogue is not None and award is not None:
        wanted = name.strip().lower()
        for badge, _existing in catalogue(contact=contact):
            if wanted in {badge.slug.lower(), badge.name.lower()}:
                award(badge=badge, contact=contact, actor=None, reason=f"Automation: {rule.name}")
                return
    activity_record(
        kind="badge.awarded",
        contact=contact,
        source="automations",
        data={"badge": name, "rule_id": rule.pk, "automation_rule_id": rule.pk},
        external_id=key,
    )


def _contact_stage_set(*, contact: Contact, stage: str, rule: AutomationRule) -> None:
    hook = _optional("ovation.directory.services", "contact_stage_set")
    if hook is not None:
        hook(contact=contact, stage=stage, source="automations")
        return
    previous = contact.stage
    if previous == stage:
        return
    changed = Contact.objects.filter(pk=contact.pk, stage=previous).update(
        stage=stage, updated_at=timezone.now()
    )
    if changed:
        contact.stage = stage
        event_publish(
            type="contact.stage_changed",
            contact=contact,
            data={
                "contact_id": contact.pk,
                "from": previous,
                "to": stage,
                "source": "automations",
                "automation_rule_id": rule.pk,
            },
        )


def _invite(*, contact: Contact, action: dict, rule: AutomationRule, key: str) -> None:
    """Invite through the target module when it offers an invitation service; otherwise log
    the ask on the timeline (so the manager and the fatigue budget see it)."""
    target, name = action["target"], action.get("name", "")
    if target == "hub":
        hub_invite = _optional("ovation.hub.services", "advocate_invite")
        if hub_invite is not None:
            if contact.user_id is None:  # already an advocate: nothing to invite to
                hub_invite(contact=contact, invited_by=None, message="")
            return
    hooks = {
        "program": ("ovation.programs.services", "program_invite"),
        "challenge": ("ovation.hub.services", "challenge_invite"),
    }
    hook = _optional(*hooks[target]) if target in hooks else None
    if hook is not None:
        hook(contact=contact, name=name, idempotency_key=key)
        return
    activity_record(
        kind="ask.logged",
        contact=contact,
        source="automations",
        data={
            "ask": f"invite.{target}",
            "target": target,
            "name": name,
            "rule_id": rule.pk,
            "automation_rule_id": rule.pk,
        },
        external_id=key,
    )


# --- schedules and dates --------------------------------------------------------------------


def _active_contacts(*, accounts: list[int] | None = None, limit: int = 5000) -> list[int]:
    qs = Contact.objects.filter(is_active=True)
    if accounts is not None:
        qs = qs.filter(account_id__in=accounts)
    return list(qs.order_by("id").values_list("id", flat=True)[:limit])


def _date_account_ids(rule: AutomationRule, day: date) -> list[int]:
    if rule.date_field == "customer_anniversary":
        days = [day]
        if day.month == 2 and day.day == 28 and not _is_leap(day.year):
            days.append(date(2000, 2, 29))  # 29 February customers celebrate on the 28th
        q = Q()
        for d in days:
            q |= Q(customer_since__month=d.month, customer_since__day=d.day)
        rows = Account.objects.filter(q, customer_since__year__lt=day.year).values_list(
            "id", "customer_since"
        )
        return [pk for pk, since in rows if cond.anniversary_on(since, day)]
    if rule.date_field == "renewal":
        return list(
            Account.objects.filter(renewal_date=day + timedelta(days=rule.days_before)).values_list(
                "id", flat=True
            )
        )
    return []


def _is_leap(year: int) -> bool:
    import calendar

    return calendar.isleap(year)


def rule_due_slot(rule: AutomationRule, *, now: datetime) -> datetime | None:
    frequency = rule.frequency if rule.trigger == "schedule" else "daily"
    slot = cond.schedule_slot(
        now=now,
        frequency=frequency,
        run_at=rule.run_at,
        weekday=rule.weekday,
        tz=rule_time_zone(rule),
    )
    if not cond.slot_is_due(slot=slot, last_slot_at=rule.last_slot_at, enabled_at=rule.enabled_at):
        return None
    return slot


def schedules_run(*, now: datetime | None = None) -> int:
    """Fire schedule and date rules whose slot has come (once per slot: the slot is claimed
    with a conditional UPDATE, and each run is unique per (rule, slot, contact))."""
    now = now or timezone.now()
    runs = 0
    for rule in AutomationRule.objects.filter(is_enabled=True, trigger__in=["schedule", "date"]):
        slot = rule_due_slot(rule, now=now)
        if slot is None:
            continue
        claimed = AutomationRule.objects.filter(
            Q(last_slot_at__isnull=True) | Q(last_slot_at__lt=slot), pk=rule.pk
        ).update(last_slot_at=slot)
        if not claimed:
            continue
        local_day = slot.date()
        if rule.trigger == "date":
            contact_ids = _active_contacts(accounts=_date_account_ids(rule, local_day))
        else:
            contact_ids = _active_contacts()
        facts_by_contact = selectors.contact_facts(contact_ids)
        for contact_id in contact_ids:
            facts = {
                **facts_by_contact[contact_id],
                "event": {"type": f"{rule.trigger}.due", "date": local_day.isoformat()},
            }
            rule_trigger(
                rule=rule,
                key=f"slot:{slot.isoformat()}:{contact_id}",
                facts=facts,
                contact_id=contact_id,
                occurred_at=now,
                now=now,
            )
            runs += 1
    return runs


def automations_tick(*, now: datetime | None = None) -> dict:
    """The periodic work: schedules, due delayed runs, due webhook retries, and events never
    dispatched; reminders of program events starting within a day, and reference SLA reminders
    (unanswered invitations, unreviewed requests; once a day each). Run every minute by
    `ovation automations scheduler` (or cron: `ovation automations tick`)."""
    from ovation.programs.services.events import event_reminders_due
    from ovation.references.services import reminders_send

    now = now or timezone.now()
    return {
        "schedules": schedules_run(now=now),
        "runs": runs_execute_due(now=now),
        "deliveries": webhooks.deliveries_run_due(now=now),
        "events": events_dispatch_pending(now=now),
        "event_reminders": event_reminders_due(now=now),
        "reference_reminders": reminders_send(now=now),
    }


# --- dry run --------------------------------------------------------------------------------


def rule_dry_run(
    *,
    rule: AutomationRule,
    now: datetime | None = None,
    days: int = DRY_RUN_DAYS,
    save: bool = True,
) -> dict:
    """Replay the last `days` days through the same decision the dispatcher makes: which
    triggers would have fired, for whom, and why the others would not. No side effects."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    spec = rule_spec(rule)
    triggers: list[tuple[str, int | None, datetime, DomainEvent | None, dict]] = []
    if rule.trigger == "event":
        events = selectors.past_events(event_type=rule.event_type, since=since, until=now)
        ids = [selectors.event_contact_id(e) for e in events]
        facts_by_contact = selectors.contact_facts([i for i in ids if i])
        for event, contact_id in zip(events, ids, strict=True):
            base = facts_by_contact.get(contact_id) if contact_id else None
            triggers.append(
                (
                    f"event:{event.pk}",
                    contact_id if base else None,
                    event.occurred_at,
                    event,
                    selectors.event_facts(event, base),
                )
            )
    else:
        tz = rule_time_zone(rule)
        for offset in range(days, 0, -1):
            moment = now - timedelta(days=offset)
            slot = cond.schedule_slot(
                now=moment + timedelta(days=1) - timedelta(seconds=1),
                frequency=rule.frequency if rule.trigger == "schedule" else "daily",
                run_at=rule.run_at,
                weekday=rule.weekday,
                tz=tz,
            )
            if (
                slot < since
                or slot > now
                or any(t[0].startswith(f"slot:{slot.isoformat()}:") for t in triggers)
            ):
                continue
            day = slot.date()
            contact_ids = (
                _active_contacts(accounts=_date_account_ids(rule, day))
                if rule.trigger == "date"
                else _active_contacts(limit=2000)
            )
            facts_by_contact = selectors.contact_facts(contact_ids)
            for contact_id in contact_ids:
                facts = {
                    **facts_by_contact[contact_id],
                    "event": {"type": f"{rule.trigger}.due", "date": day.isoformat()},
                }
                triggers.append(
                    (f"slot:{slot.isoformat()}:{contact_id}", contact_id, slot, None, facts)
                )
    # Rate limits count runs that really happened before the window plus simulated ones.
    contact_ids = [t[1] for t in triggers if t[1]]
    prior = selectors.fired_times(rule=rule, contact_ids=contact_ids) if rule.pk else {}
    simulated: dict[int, list[datetime]] = defaultdict(list)
    for cid, times in prior.items():
        simulated[cid] = [t for t in times if t < since]
    fired_rows, skip_reasons = [], Counter()
    for key, contact_id, at, event, facts in triggers:
        decision = cond.rule_decide(
            spec,
            event_type=event.type if event else None,
            facts=facts,
            fired_at=simulated.get(contact_id, []) if contact_id else [],
            now=at,
            occurred_at=at,
        )
        if decision.fire:
            if contact_id:
                simulated[contact_id].append(at)
            fired_rows.append(
                {
                    "key": key,
                    "at": at.isoformat(),
                    "at_display": timezone.localtime(at, rule_time_zone(rule)).strftime(
                        "%-d %b %Y %H:%M"
                    ),
                    "contact_id": contact_id,
                    "contact": (facts.get("contact") or {}).get("name", ""),
                    "account": (facts.get("account") or {}).get("name", ""),
                }
            )
        else:
            skip_reasons[decision.reason.split(" (it is")[0]] += 1
    result = {
        "days": days,
        "ran_at": now.isoformat(),
        "triggers": len(triggers),
        "would_fire": len(fired_rows),
        "contacts": len({r["contact_id"] for r in fired_rows if r["contact_id"]}),
        "examples": fired_rows[-50:][::-1],
        "fired_keys": [r["key"] for r in fired_rows],
        "skipped": skip_reasons.most_common(6),
    }
    if save and rule.pk:
        stored = {k: v for k, v in result.items() if k != "fired_keys"}
        AutomationRule.objects.filter(pk=rule.pk).update(last_dry_run=stored, last_dry_run_at=now)
        rule.last_dry_run, rule.last_dry_run_at = stored, now
    return result


# --- follow-ups -----------------------------------------------------------------------------


@transaction.atomic
def follow_up_complete(*, task: FollowUpTask) -> FollowUpTask:
    FollowUpTask.objects.filter(pk=task.pk, is_done=False).update(
        is_done=True, done_at=timezone.now()
    )
    task.refresh_from_db()
    return task
