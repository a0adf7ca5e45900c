"""Pure functions: no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ovation.automations import conditions as c

FACTS = {
    "contact": {
        "id": 1,
        "stage": "advocate",
        "lifetime_points": 1200,
        "title": "VP Data",
        "is_active": True,
    },
    "account": {
        "industry": "Retail",
        "region": "EMEA",
        "products": ["Forecast", "Planner"],
        "arr": 120000.0,
    },
    "event": {"type": "nps.answered", "score": 10},
}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"field": "contact.stage", "op": "eq", "value": "Advocate"}, True),
        ({"field": "contact.stage", "op": "ne", "value": "advocate"}, False),
        ({"field": "event.score", "op": "eq", "value": "10"}, True),
        ({"field": "event.score", "op": "gt", "value": 8}, True),
        ({"field": "event.score", "op": "lt", "value": 10}, False),
        ({"field": "account.arr", "op": "gte", "value": "120000"}, True),
        ({"field": "contact.title", "op": "contains", "value": "vp"}, True),
        ({"field": "account.products", "op": "contains", "value": "planner"}, True),
        ({"field": "account.products", "op": "eq", "value": "Forecast"}, True),
        ({"field": "account.industry", "op": "in", "value": ["Retail", "Banking"]}, True),
        ({"field": "account.region", "op": "not_in", "value": ["EMEA"]}, False),
        ({"field": "account.products", "op": "in", "value": ["Other"]}, False),
        ({"field": "event.missing", "op": "exists", "value": ""}, False),
        ({"field": "event.missing", "op": "gt", "value": 1}, False),
        ({"field": "contact.lifetime_points", "op": "gte", "value": 1000}, True),
    ],
)
def test_condition_operators(cond, expected):
    assert c.condition_holds(cond, FACTS) is expected


def test_conditions_match_names_the_failing_condition():
    ok, reason = c.conditions_match(
        [
            {"field": "contact.stage", "op": "eq", "value": "advocate"},
            {"field": "event.score", "op": "lt", "value": 7},
        ],
        FACTS,
    )
    assert ok is False
    assert reason == "event.score is less than 7 was false (it is 10)"


def test_validate_splits_in_lists_and_names_bad_rows():
    assert c.conditions_validate(
        [{"field": "account.industry", "op": "in", "value": "Retail, Banking"}]
    ) == [{"field": "account.industry", "op": "in", "value": ["Retail", "Banking"]}]
    with pytest.raises(c.ConditionError) as exc:
        c.conditions_validate(
            [{"field": "contact.stage", "op": "eq", "value": "x"}, {"field": "nope", "op": "eq"}]
        )
    assert exc.value.field == "conditions.2.field"
    with pytest.raises(c.ConditionError) as exc:
        c.conditions_validate([{"field": "event.score", "op": "gt", "value": "high"}])
    assert exc.value.field == "conditions.1.value"


def test_daily_slot_is_local_time_across_time_zones():
    tokyo, new_york = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
    now = datetime(2025, 3, 10, 1, 30, tzinfo=UTC)  # 10:30 in Tokyo, 21:30 on 9 March in New York
    slot_tokyo = c.schedule_slot(
        now=now, frequency="daily", run_at=time(9, 0), weekday=None, tz=tokyo
    )
    slot_ny = c.schedule_slot(
        now=now, frequency="daily", run_at=time(9, 0), weekday=None, tz=new_york
    )
    assert slot_tokyo == datetime(2025, 3, 10, 9, 0, tzinfo=tokyo)
    assert slot_tokyo.astimezone(UTC) == datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
    assert slot_ny.date() == date(2025, 3, 9)  # New York's 9 March 09:00 (after the DST switch)
    assert slot_ny.astimezone(UTC) == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)


def test_weekly_slot_fires_on_the_local_weekday():
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: Monday 08:00 not yet due there.
    now = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)
    slot = c.schedule_slot(now=now, frequency="weekly", run_at=time(8, 0), weekday=0, tz=berlin)
    assert slot == datetime(2025, 5, 26, 8, 0, tzinfo=berlin)
    later = datetime(2025, 6, 2, 6, 1, tzinfo=UTC)  # 08:01 Monday in Berlin
    assert c.schedule_slot(
        now=later, frequency="weekly", run_at=time(8, 0), weekday=0, tz=berlin
    ) == datetime(2025, 6, 2, 8, 0, tzinfo=berlin)


def test_slot_fires_once_and_not_before_enabling():
    slot = datetime(2025, 1, 1, 9, tzinfo=UTC)
    assert c.slot_is_due(slot=slot, last_slot_at=None, enabled_at=slot - timedelta(days=1))
    assert not c.slot_is_due(slot=slot, last_slot_at=slot, enabled_at=None)
    assert not c.slot_is_due(slot=slot, last_slot_at=None, enabled_at=slot + timedelta(minutes=1))


def test_anniversary_and_renewal():
    assert c.anniversary_on(date(2020, 5, 4), date(2025, 5, 4))
    assert not c.anniversary_on(date(2025, 5, 4), date(2025, 5, 4))  # the first day is not one
    assert c.anniversary_on(date(2020, 2, 29), date(2023, 2, 28))
    assert c.anniversary_on(date(2020, 2, 29), date(2024, 2, 29))
    assert not c.anniversary_on(date(2020, 2, 29), date(2024, 2, 28))
    assert c.renewal_in(date(2025, 7, 31), date(2025, 7, 1), 30)
    assert not c.renewal_in(date(2025, 7, 31), date(2025, 7, 1), 29)


def test_rate_limit_window():
    now = datetime(2025, 1, 31, tzinfo=UTC)
    fired = [now - timedelta(days=40), now - timedelta(days=3)]
    assert c.rate_limited(fired_at=fired, now=now, count=1, days=30)[0] is True
    assert c.rate_limited(fired_at=fired, now=now, count=2, days=30)[0] is False
    assert c.rate_limited(fired_at=fired, now=now, count=2, days=0) == (
        True,
        "rate limit: already fired 2× for this contact ever",
    )


def test_rule_decide_with_delay_and_type_mismatch():
    spec = c.RuleSpec(
        id=1, trigger="event", event_type="nps.answered", delay_amount=3, delay_unit="days"
    )
    at = datetime(2025, 1, 1, tzinfo=UTC)
    decision = c.rule_decide(
        spec, event_type="nps.answered", facts=FACTS, fired_at=[], now=at, occurred_at=at
    )
    assert decision.fire and decision.due_at == at + timedelta(days=3)
    other = c.rule_decide(spec, event_type="referral.made", facts=FACTS, fired_at=[], now=at)
    assert not other.fire
    no_contact = c.rule_decide(
        spec, event_type="nps.answered", facts={"event": {}}, fired_at=[], now=at
    )
    assert no_contact.reason == "the event has no contact"
