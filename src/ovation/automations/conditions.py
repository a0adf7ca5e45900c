"""Pure rule logic, no database access: conditions, schedules, date triggers, rate limits and
the decision "would this rule fire for these facts?". The dispatcher and the dry run both call
`rule_decide`, so what the dry run predicts is what the rule then does.

Facts are plain dicts: {"contact": {...}, "account": {...}, "event": {...}}."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OPERATORS = {
    "eq": "equals",
    "ne": "does not equal",
    "gt": "is greater than",
    "lt": "is less than",
    "gte": "is at least",
    "lte": "is at most",
    "contains": "contains",
    "in": "is one of",
    "not_in": "is not one of",
    "exists": "is set",
}

# The fields a condition can test; "event.<key>" is open (any key of the event's data).
FIELDS = {
    "contact.stage": "Contact stage (customer, promoter, advocate, champion)",
    "contact.level": "Contact level (hub level name or number)",
    "contact.lifetime_points": "Contact lifetime points",
    "contact.seniority": "Contact seniority",
    "contact.persona": "Contact persona",
    "contact.title": "Contact title",
    "contact.email": "Contact email",
    "contact.country": "Contact's account country",
    "account.name": "Account name",
    "account.industry": "Account industry (segment)",
    "account.region": "Account region (segment)",
    "account.products": "Account products (segment)",
    "account.status": "Account status",
    "account.arr": "Account ARR",
    "account.employee_band": "Account size band",
    "account.has_csm": "Account has a CSM (true/false)",
    "event.score": "Event: NPS score",
    "event.points": "Event: points",
    "event.kind": "Event: kind",
}


class ConditionError(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def conditions_validate(conditions: Any) -> list[dict]:
    """Normalise and check a condition list; raises ConditionError naming the row."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ConditionError("conditions must be a list", field="conditions")
    clean = []
    for i, cond in enumerate(conditions, start=1):
        if not isinstance(cond, dict):
            raise ConditionError(f"condition {i}: must be an object", field=f"conditions.{i}")
        name = str(cond.get("field", "")).strip()
        op = str(cond.get("op", "")).strip()
        if not name:
            raise ConditionError(f"condition {i}: choose a field", field=f"conditions.{i}.field")
        if name not in FIELDS and not (name.startswith("event.") and len(name) > 6):
            raise ConditionError(
                f"condition {i}: unknown field {name!r}", field=f"conditions.{i}.field"
            )
        if op not in OPERATORS:
            raise ConditionError(
                f"condition {i}: unknown operator {op!r}", field=f"conditions.{i}.op"
            )
        value = cond.get("value", "")
        if op in {"in", "not_in"} and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if op in {"gt", "lt", "gte", "lte"} and _number(value) is None:
            raise ConditionError(
                f"condition {i}: {OPERATORS[op]} needs a number, not {value!r}",
                field=f"conditions.{i}.value",
            )
        clean.append({"field": name, "op": op, "value": value})
    return clean


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _lookup(facts: dict, path: str) -> Any:
    node: Any = facts
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value).strip().lower()


def condition_holds(cond: dict, facts: dict) -> bool:
    actual = _lookup(facts, cond["field"])
    op, expected = cond["op"], cond.get("value")
    if op == "exists":
        return actual not in (None, "", [], {})
    if op in {"gt", "lt", "gte", "lte"}:
        a, b = _number(actual), _number(expected)
        if a is None or b is None:
            return False
        return {"gt": a > b, "lt": a < b, "gte": a >= b, "lte": a <= b}[op]
    if op == "contains":
        if isinstance(actual, list):
            return _norm(expected) in {_norm(v) for v in actual}
        return _norm(expected) in _norm(actual)
    if op in {"in", "not_in"}:
        options = expected if isinstance(expected, list) else [expected]
        options_n = {_norm(v) for v in options}
        if isinstance(actual, list):
            hit = bool(options_n & {_norm(v) for v in actual})
        else:
            hit = _norm(actual) in options_n
        return hit if op == "in" else not hit
    # eq / ne: numbers compare as numbers, lists by membership, the rest case-insensitively.
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        equal = a == b
    elif isinstance(actual, list):
        equal = _norm(expected) in {_norm(v) for v in actual}
    else:
        equal = _norm(actual) == _norm(expected)
    return equal if op == "eq" else not equal


def conditions_match(conditions: list[dict], facts: dict) -> tuple[bool, str]:
    """All conditions must hold; returns (matched, reason naming the first that does not)."""
    for cond in conditions:
        if not condition_holds(cond, facts):
            actual = _lookup(facts, cond["field"])
            shown = "(empty)" if actual in (None, "", []) else actual
            return False, (
                f"{cond['field']} {OPERATORS[cond['op']]} {cond.get('value')!r} "
                f"was false (it is {shown})"
            )
    return True, ""


def condition_describe(cond: dict) -> str:
    value = cond.get("value")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if cond["op"] == "exists":
        return f"{cond['field']} is set"
    return f"{cond['field']} {OPERATORS.get(cond['op'], cond['op'])} {value}"


# --- time -----------------------------------------------------------------------------------


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def schedule_slot(
    *,
    now: datetime,
    frequency: str,
    run_at: time | None,
    weekday: int | None,
    tz: ZoneInfo,
) -> datetime:
    """The most recent moment at or before `now` when a daily/weekly schedule was due, in
    UTC-comparable aware form (computed in the rule's local time zone)."""
    local_now = now.astimezone(tz)
    at = run_at or time(9, 0)
    candidate_day = local_now.date()
    for _ in range(8):
        if frequency != "weekly" or candidate_day.weekday() == (weekday or 0):
            slot = datetime.combine(candidate_day, at, tzinfo=tz)
            if slot <= local_now:
                return slot
        candidate_day -= timedelta(days=1)
    raise AssertionError("unreachable: a weekly slot exists within 8 days")


def slot_is_due(
    *, slot: datetime, last_slot_at: datetime | None, enabled_at: datetime | None
) -> bool:
    """A slot fires once: after the last one handled and not before the rule was enabled
    (enabling a rule at 10:00 does not fire today's 09:00 slot retroactively)."""
    if last_slot_at is not None and slot <= last_slot_at:
        return False
    return not (enabled_at is not None and slot < enabled_at)


def anniversary_on(since: date | None, day: date) -> bool:
    """True when `day` is a whole-year anniversary of `since` (29 Feb counts on 28 Feb)."""
    if since is None or day.year <= since.year:
        return False
    month, dom = since.month, since.day
    if month == 2 and dom == 29 and not calendar.isleap(day.year):
        dom = 28
    return (day.month, day.day) == (month, dom)


def renewal_in(renewal: date | None, day: date, days_before: int) -> bool:
    return renewal is not None and renewal == day + timedelta(days=days_before)


def date_trigger_matches(*, date_field: str, account: dict, day: date, days_before: int) -> bool:
    if date_field == "customer_anniversary":
        return anniversary_on(account.get("customer_since"), day)
    if date_field == "renewal":
        return renewal_in(account.get("renewal_date"), day, days_before)
    return False


def delay_for(amount: int, unit: str) -> timedelta:
    if not amount:
        return timedelta(0)
    return {
        "minutes": timedelta(minutes=amount),
        "hours": timedelta(hours=amount),
    }.get(unit, timedelta(days=amount))


def rate_limited(
    *, fired_at: list[datetime], now: datetime, count: int, days: int
) -> tuple[bool, str]:
    """`count` runs per contact within `days` days (0 days = ever)."""
    if not count:
        return False, ""
    window = [t for t in fired_at if days == 0 or t > now - timedelta(days=days)]
    if len(window) >= count:
        span = f"in {days} days" if days else "ever"
        return True, f"rate limit: already fired {len(window)}× for this contact {span}"
    return False, ""


@dataclass
class RuleSpec:
    """What `rule_decide` needs to know about a rule (built from the model or a form)."""

    id: int | None
    trigger: str
    event_type: str = ""
    conditions: list[dict] = field(default_factory=list)
    rate_limit_count: int = 0
    rate_limit_days: int = 0
    delay_amount: int = 0
    delay_unit: str = "days"
    needs_contact: bool = True


@dataclass
class Decision:
    fire: bool
    reason: str = ""
    due_at: datetime | None = None


def rule_decide(
    spec: RuleSpec,
    *,
    event_type: str | None,
    facts: dict,
    fired_at: list[datetime],
    now: datetime,
    occurred_at: datetime | None = None,
) -> Decision:
    """Would the rule fire for this trigger? The single decision used by the dispatcher, the
    scheduler and the dry run."""
    if spec.trigger == "event" and event_type != spec.event_type:
        return Decision(False, f"event type {event_type} is not {spec.event_type}")
    if spec.needs_contact and not (facts.get("contact") or {}).get("id"):
        return Decision(False, "the event has no contact")
    if (facts.get("contact") or {}).get("is_active") is False:
        return Decision(False, "the contact is inactive")
    matched, reason = conditions_match(spec.conditions, facts)
    if not matched:
        return Decision(False, reason)
    limited, reason = rate_limited(
        fired_at=fired_at, now=now, count=spec.rate_limit_count, days=spec.rate_limit_days
    )
    if limited:
        return Decision(False, reason)
    delay = delay_for(spec.delay_amount, spec.delay_unit)
    base = occurred_at or now
    return Decision(True, "", base + delay if delay else None)
