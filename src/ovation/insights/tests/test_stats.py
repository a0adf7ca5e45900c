"""The ROI statistics against independent computations (lifelines, scipy, hand-worked)."""

import math

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from scipy import stats as sps

from ovation.insights import stats

# Fixed data: months to churn (event) or to today (censored), two groups.
A_T = [3, 5, 5, 8, 12, 12, 14, 20, 24, 24, 30, 36, 36, 40]
A_E = [1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]
B_T = [2, 2, 4, 6, 6, 7, 9, 10, 12, 15, 18, 22, 25, 30, 33]
B_E = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1]


def test_kaplan_meier_matches_lifelines_estimate_and_band():
    ours = stats.kaplan_meier(A_T, [bool(e) for e in A_E])
    kmf = KaplanMeierFitter().fit(A_T, A_E)
    band = kmf.confidence_interval_
    assert ours.n == 14 and ours.events == 6
    assert ours.times == [3.0, 5.0, 8.0, 12.0, 20.0, 30.0]
    for i, t in enumerate(ours.times):
        assert ours.survival[i] == pytest.approx(kmf.survival_function_.loc[t].iloc[0], abs=1e-12)
        assert ours.low[i] == pytest.approx(band.loc[t].iloc[0], abs=1e-9)
        assert ours.high[i] == pytest.approx(band.loc[t].iloc[1], abs=1e-9)
    # S(12) by hand: at risk 14, 13, 11 (one censored at 5), 10; one churn at each time
    assert ours.at(12) == pytest.approx((13 / 14) * (12 / 13) * (10 / 11) * (9 / 10))
    assert ours.at(1) == 1.0


def test_log_rank_matches_lifelines_and_scipy_chi2():
    ours = stats.log_rank(A_T, [bool(e) for e in A_E], B_T, [bool(e) for e in B_E])
    theirs = logrank_test(A_T, B_T, A_E, B_E)
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-10)
    assert ours.p_value == pytest.approx(theirs.p_value, rel=1e-9)
    assert ours.p_value == pytest.approx(sps.chi2.sf(ours.statistic, 1), rel=1e-9)
    assert ours.observed == (6, 11)


def test_log_rank_without_events_or_groups_is_unknown():
    assert stats.log_rank([], [], [1, 2], [True, False]).p_value is None
    assert stats.log_rank([1, 2], [False, False], [3], [False]).p_value is None


def test_wilson_interval_known_values():
    e = stats.wilson(8, 10)
    assert e.value == 0.8
    assert e.low == pytest.approx(0.4902, abs=1e-4)
    assert e.high == pytest.approx(0.9433, abs=1e-4)
    assert stats.wilson(0, 0).value is None


def test_stratified_lift_against_hand_computation():
    rows = (
        # stratum A: referenced 3/4 won, others 2/6
        [("A", True, True)] * 3
        + [("A", True, False)]
        + [("A", False, True)] * 2
        + [("A", False, False)] * 4
        # stratum B: referenced 1/2, others 1/4
        + [("B", True, True), ("B", True, False), ("B", False, True)]
        + [("B", False, False)] * 3
        # stratum C: a referenced deal with nothing to compare: left out
        + [("C", True, True)]
    )
    lift = stats.stratified_lift(rows)
    w_a, w_b = 4 / 6, 2 / 6
    expected = w_a * (3 / 4 - 2 / 6) + w_b * (1 / 2 - 1 / 4)
    var = w_a**2 * (0.75 * 0.25 / 4 + (1 / 3) * (2 / 3) / 6) + w_b**2 * (
        0.5 * 0.5 / 2 + 0.25 * 0.75 / 4
    )
    assert lift.estimate.value == pytest.approx(expected)
    assert lift.estimate.low == pytest.approx(expected - 1.959963984540054 * math.sqrt(var))
    assert lift.estimate.high == pytest.approx(expected + 1.959963984540054 * math.sqrt(var))
    assert (lift.matched_treated, lift.unmatched_treated, lift.controls_used) == (6, 1, 10)
    assert lift.treated_win_rate == pytest.approx(w_a * 0.75 + w_b * 0.5)
    assert lift.control_win_rate == pytest.approx(w_a * 2 / 6 + w_b * 0.25)


def test_coarsened_strata_fall_back_to_the_size_band():
    rows = [
        (("<25k", "software"), True, True),
        (("<25k", "software"), False, False),
        (("<25k", "retail"), True, True),  # no retail comparator: size band only
        (("<25k", "?"), False, True),
    ]
    strata = stats.coarsened_strata(rows, [2, 1])
    lift = stats.stratified_lift(strata)
    # exact: software 1/1 vs 0/1 -> +1; size band: retail 1/1 vs (0/1, 1/1) -> 1 - 0.5
    assert lift.estimate.value == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert lift.matched_treated == 2


def test_means_ratio_and_difference_against_numpy():
    a = [120, 150, 90, 200, 160, 140]
    b = [60, 80, 75, 50, 90, 70, 65]
    ma, mb = stats.Moments.of(a), stats.Moments.of(b)
    assert ma.variance == pytest.approx(np.var(a, ddof=1))
    diff = stats.mean_difference(ma, mb)
    se = math.sqrt(np.var(a, ddof=1) / 6 + np.var(b, ddof=1) / 7)
    assert diff.value == pytest.approx(np.mean(a) - np.mean(b))
    assert diff.high - diff.value == pytest.approx(1.959963984540054 * se)
    ratio = stats.ratio_of_means(ma, mb)
    assert ratio.value == pytest.approx(np.mean(a) / np.mean(b))
    # the delta-method interval agrees with a bootstrap of the ratio within a few percent
    rng = np.random.default_rng(3)
    boots = [rng.choice(a, 6).mean() / rng.choice(b, 7).mean() for _ in range(4000)]
    lo, hi = np.quantile(boots, [0.025, 0.975])
    assert ratio.low == pytest.approx(lo, rel=0.08)
    assert ratio.high == pytest.approx(hi, rel=0.08)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    first = stats.bootstrap_ci(values, seed=1)
    assert first == stats.bootstrap_ci(values, seed=1)
    assert first.value == 4.0 and first.low < 4.0 < first.high


def test_rate_ratio_poisson_interval():
    e = stats.rate_ratio(6, 10.0, 4, 20.0)
    assert e.value == pytest.approx(3.0)
    se = math.sqrt(1 / 6 + 1 / 4)
    assert e.low == pytest.approx(3.0 * math.exp(-1.959963984540054 * se))


def test_referrer_effect_splits_exposure_at_the_referrers_churn():
    rows = [
        (0, 365.25 * 2, True, 365.25),  # 1 year while, 1 year after, churned after
        (0, 365.25, False, None),  # 1 year while, censored
        (0, 365.25 * 3, True, None),  # 3 years while, churned while
    ]
    eff = stats.referrer_effect(rows)
    assert (eff.events_while, eff.events_after) == (1, 1)
    assert eff.years_while == pytest.approx(5.0)
    assert eff.years_after == pytest.approx(1.0)
    assert eff.ratio.value == pytest.approx((1 / 1.0) / (1 / 5.0))
    assert eff.referrers_churned == 1


def test_nps_with_margin():
    e = stats.nps(3, 1, 1)
    assert e.value == pytest.approx(40.0)
    p, d = 0.6, 0.2
    moe = 100 * 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 5)
    assert e.low == pytest.approx(40 - moe)
    assert e.high == pytest.approx(min(100.0, 40 + moe))
