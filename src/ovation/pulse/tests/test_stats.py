import math
from datetime import UTC, datetime, timedelta

import pytest

from ovation.pulse import stages, stats
from ovation.pulse.themes import classify


def test_categories_follow_the_nps_cut_offs():
    assert [stats.category(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    with pytest.raises(ValueError):
        stats.category(11)


def test_nps_and_margin_of_error_use_the_standard_variance():
    # 50 promoters, 30 passives, 20 detractors
    result = stats.nps_from_counts(50, 30, 20)
    assert result.nps == 30.0
    p, d = 0.5, 0.2
    expected = 1.96 * math.sqrt((p + d - (p - d) ** 2) / 100) * 100
    assert result.margin_of_error == pytest.approx(expected)
    assert round(result.margin_of_error, 2) == 15.31
    assert stats.nps_from_counts(0, 0, 0).nps is None


def test_person_based_counts_each_persons_latest_answer():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("ann", t0, 3),
        ("ann", t0 + timedelta(days=1), 4),
        ("ann", t0 + timedelta(days=2), 5),  # ann answered 3 times: only the 5 counts
        ("bob", t0, 10),
    ]
    assert stats.nps_from_scores([r[2] for r in rows]).nps == -50.0
    assert stats.person_based_nps(rows).nps == 0.0


def test_account_nps_classifies_the_mean_of_latest_scores():
    means = stats.account_scores([("a", 10), ("a", 8), ("b", 3), ("b", 9), ("c", 7)])
    assert means == {"a": 9.0, "b": 6.0, "c": 7.0}
    assert stats.account_nps(means.values()).nps == 0.0


def test_merging_rounds_adds_counts():
    a = stats.nps_from_counts(5, 3, 2)
    b = stats.nps_from_counts(1, 1, 8)
    merged = stats.merge([a, b])
    assert (merged.responses, merged.nps) == (20, -20.0)
    diff, moe = stats.difference(a, b)
    assert diff == -100.0 and moe > 0


def test_quarters_and_months():
    assert stats.quarter_key(datetime(2026, 5, 3).date()) == "2026-Q2"
    assert len(stats.months_between(datetime(2025, 11, 5).date(), datetime(2026, 2, 1).date())) == 4
    assert stats.arr_band(24999) == "lt25k" and stats.arr_band(250000) == "250k+"


RULES = stages.Rules(advocacy_kinds=frozenset({"event.attended", "reference.given"}))


def test_stage_history_explains_each_change_with_dates():
    feb1 = datetime(2026, 2, 1, 9, tzinfo=UTC)
    mar3 = datetime(2026, 3, 3, 9, tzinfo=UTC)
    history = stages.stage_history(
        [(feb1, 10)], [(mar3, "event.attended")], RULES, datetime(2026, 4, 1, tzinfo=UTC)
    )
    assert [(c.at, c.to_stage) for c in history] == [(feb1, "promoter"), (mar3, "advocate")]
    assert history[1].explanation == "NPS 10 on 1 Feb 2026 + event attended on 3 Mar 2026"


def test_stage_lapses_when_evidence_ages_out():
    feb1 = datetime(2025, 2, 1, tzinfo=UTC)
    mar3 = datetime(2025, 3, 3, tzinfo=UTC)
    history = stages.stage_history(
        [(feb1, 9)], [(mar3, "reference.given")], RULES, datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert [c.to_stage for c in history] == ["promoter", "advocate", "promoter", "customer"]
    assert history[2].at == mar3 + timedelta(days=182)
    assert history[3].at == feb1 + timedelta(days=365)


def test_champion_needs_three_acts_and_a_low_score_drops_everything():
    t = datetime(2026, 1, 1, tzinfo=UTC)
    acts = [(t + timedelta(days=i), "reference.given") for i in (1, 2, 3)]
    history = stages.stage_history(
        [(t, 9), (t + timedelta(days=10), 4)], acts, RULES, t + timedelta(days=20)
    )
    assert [c.to_stage for c in history] == [
        "promoter",
        "advocate",
        "champion",
        "customer",
    ]
    assert "below 9" in history[-1].explanation


def test_themes_are_explainable():
    found = classify("Too expensive, and support tickets take days. Missing an export feature.")
    assert found == {
        "pricing": ["expensive"],
        "support": ["support", "ticket"],
        "features": ["feature", "missing", "export"],
    }
    assert classify("") == {}
