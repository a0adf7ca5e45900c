"""Reads for automations: the facts rules are evaluated against (batched: no N+1), lists for
the staff pages, and the jobs of the database task backend."""

from __future__ import annotations

import importlib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ovation.activity.models import Activity, DomainEvent
from ovation.directory.models import Contact

from .models import (
    AutomationRule,
    FollowUpTask,
    RuleRun,
    WebhookDelivery,
    WebhookEndpoint,
)


def company_time_zone() -> str:
    return getattr(settings, "OVATION_COMPANY_TIME_ZONE", "") or settings.TIME_ZONE


def _optional(module: str, name: str):
    """A function another module may offer (hooks into apps built in parallel)."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


def _level_namer():
    """lifetime points -> level name, through the hub's level ladder (read once per call)."""
    levels_all = _optional("ovation.hub.selectors", "levels_all")
    level_for_points = _optional("ovation.hub.selectors", "level_for_points")
    if levels_all is None or level_for_points is None:
        return lambda lifetime: None
    levels = levels_all()

    def name(lifetime: int):
        level = level_for_points(levels, lifetime)
        return getattr(level, "name", None)

    return name


def contact_facts(contact_ids: list[int]) -> dict[int, dict]:
    """{contact id: {"contact": {...}, "account": {...}}} for many contacts in 3 queries."""
    ids = [i for i in set(contact_ids) if i]
    if not ids:
        return {}
    contacts = (
        Contact.objects.filter(pk__in=ids)
        .select_related(
            "account", "account__industry", "account__region", "account__csm_owner", "points"
        )
        .prefetch_related("account__products")
    )
    out: dict[int, dict] = {}
    level_name = _level_namer()
    for c in contacts:
        a = c.account
        balance = getattr(c, "points", None)
        lifetime = balance.lifetime if balance else 0
        contact = {
            "id": c.pk,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "name": f"{c.first_name} {c.last_name}".strip() or c.email,
            "email": c.email,
            "title": c.title,
            "seniority": c.seniority,
            "persona": c.persona,
            "stage": c.stage,
            "is_active": c.is_active,
            "lifetime_points": lifetime,
            "level": level_name(lifetime),
            "country": a.country if a else "",
            "timezone": c.timezone,
        }
        account: dict[str, Any] = {}
        if a is not None:
            account = {
                "id": a.pk,
                "name": a.name,
                "industry": a.industry.name if a.industry else "",
                "region": a.region.name if a.region else "",
                "products": [p.name for p in a.products.all()],
                "status": a.status,
                "arr": float(a.arr),
                "employee_band": a.employee_band,
                "country": a.country,
                "customer_since": a.customer_since,
                "renewal_date": a.renewal_date,
                "has_csm": a.csm_owner_id is not None,
                "csm_id": a.csm_owner_id,
                "csm_name": a.csm_owner.get_full_name() if a.csm_owner else "",
                "csm_email": a.csm_owner.email if a.csm_owner else "",
            }
        out[c.pk] = {"contact": contact, "account": account}
    return out


def event_facts(event: DomainEvent, base: dict | None) -> dict:
    facts = dict(base or {"contact": {}, "account": {}})
    facts["event"] = {"type": event.type, "id": event.pk, **(event.data or {})}
    return facts


def event_contact_id(event: DomainEvent) -> int | None:
    return event.contact_id or (event.data or {}).get("contact_id")


def fired_times(*, rule: AutomationRule, contact_ids: list[int]) -> dict[int, list[datetime]]:
    rows = RuleRun.objects.filter(
        rule=rule,
        contact_id__in=contact_ids,
        status__in=[RuleRun.Status.FIRED, RuleRun.Status.SCHEDULED, RuleRun.Status.RUNNING],
    ).values_list("contact_id", "created_at")
    out: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, at in rows:
        out[contact_id].append(at)
    return out


def past_events(*, event_type: str, since: datetime, until: datetime) -> list[DomainEvent]:
    """Domain events of a type in a window, plus Activities of that kind that never had an
    event (imported or bulk-loaded history), as unsaved DomainEvents for the dry run."""
    events = list(
        DomainEvent.objects.filter(type=event_type, occurred_at__gte=since, occurred_at__lt=until)
        .order_by("occurred_at", "id")
        .only("id", "type", "occurred_at", "contact_id", "data")
    )
    covered = {(e.data or {}).get("activity_id") for e in events}
    activities = (
        Activity.objects.filter(kind=event_type, occurred_at__gte=since, occurred_at__lt=until)
        .order_by("occurred_at", "id")
        .only("id", "kind", "occurred_at", "contact_id", "account_id", "data", "points")
    )
    for act in activities.iterator(chunk_size=2000):
        if act.pk in covered:
            continue
        events.append(
            DomainEvent(
                type=act.kind,
                occurred_at=act.occurred_at,
                contact_id=act.contact_id,
                data={
                    "activity_id": act.pk,
                    "kind": act.kind,
                    "contact_id": act.contact_id,
                    "account_id": act.account_id,
                    "points": act.points,
                    **(act.data or {}),
                },
            )
        )
    events.sort(key=lambda e: e.occurred_at)
    return events


def rule_list() -> QuerySet[AutomationRule]:
    since = timezone.now() - timedelta(days=30)
    return AutomationRule.objects.annotate(
        fired_30d=Count("runs", filter=Q(runs__status="fired", runs__created_at__gte=since)),
        failed_30d=Count("runs", filter=Q(runs__status="failed", runs__created_at__gte=since)),
    ).order_by("-is_enabled", "recipe_key", "name", "id")


def run_list(*, rule: AutomationRule, status: str | None = None) -> QuerySet[RuleRun]:
    qs = RuleRun.objects.filter(rule=rule).select_related("contact", "event")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    since = timezone.now() - timedelta(days=7)
    return WebhookEndpoint.objects.annotate(
        delivered_7d=Count(
            "deliveries",
            filter=Q(deliveries__status="delivered", deliveries__created_at__gte=since),
        ),
        pending=Count("deliveries", filter=Q(deliveries__status="pending")),
        failed=Count("deliveries", filter=Q(deliveries__status="failed")),
    ).order_by("id")


def delivery_list(*, endpoint: WebhookEndpoint | None = None, status: str | None = None):
    qs = WebhookDelivery.objects.select_related("endpoint").annotate(n_attempts=Count("log"))
    if endpoint is not None:
        qs = qs.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def follow_up_list(*, user=None, include_done: bool = False) -> QuerySet[FollowUpTask]:
    qs = FollowUpTask.objects.select_related("contact", "account", "assignee", "run__rule")
    if user is not None:
        qs = qs.filter(assignee=user)
    if not include_done:
        qs = qs.filter(is_done=False)
    return qs.order_by("is_done", "due_on", "id")


def jobs_available() -> bool:
    return settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db")


def job_list(*, status: str | None = None):
    from django_tasks_db.models import DBTaskResult

    statuses = [status] if status else ["READY", "RUNNING", "FAILED"]
    return DBTaskResult.objects.filter(status__in=statuses).order_by("-enqueued_at")


def job_counts() -> dict[str, int]:
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.values("status").annotate(n=Count("id"))
    counts = {"READY": 0, "RUNNING": 0, "FAILED": 0, "SUCCESSFUL": 0}
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
