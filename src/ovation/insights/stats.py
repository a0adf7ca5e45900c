"""The ROI statistics, as plain functions over numbers: no database, no Django.

Every figure the dashboard shows comes with its uncertainty (95% unless said otherwise), so
that an executive sees "1.4x (1.1x-1.8x)" rather than a seductive point estimate. The
Kaplan-Meier estimator and the log-rank test are written out in NumPy (the tests check them
against lifelines): lifelines itself costs about a second to import, which a dashboard request
cannot afford."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def chi2_1df_sf(x: float) -> float:
    """P(X > x) for a chi-square with one degree of freedom (closed form: no SciPy)."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2))


def rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- proportions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95% interval (None where the data cannot say)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0

    @property
    def is_known(self) -> bool:
        return self.value is not None

    def excludes(self, x: float) -> bool:
        """True when the interval lies entirely on one side of x ("significant")."""
        return self.low is not None and self.high is not None and (self.low > x or self.high < x)


def wilson(successes: int, n: int, z: float = Z95) -> Estimate:
    """A proportion with the Wilson score interval (sound for small n and rates near 0 or 1)."""
    if n <= 0:
        return Estimate(None, n=0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def proportion_difference(s1: int, n1: int, s0: int, n0: int, z: float = Z95) -> Estimate:
    """p1 - p0 with a Wald (normal approximation) interval."""
    if n1 <= 0 or n0 <= 0:
        return Estimate(None, n=n1 + n0)
    p1, p0 = s1 / n1, s0 / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    d = p1 - p0
    return Estimate(d, max(-1.0, d - z * se), min(1.0, d + z * se), n1 + n0)


# --- means from sufficient statistics ------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """n, sum and sum of squares: enough for a mean and its variance, and SQL computes them in
    one aggregate whatever the number of rows."""

    n: int
    total: float
    total_sq: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Moments:
        arr = np.asarray(list(values), dtype=float)
        return cls(int(arr.size), float(arr.sum()), float((arr * arr).sum()))

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """Sample variance (n - 1)."""
        if self.n < 2:
            return None
        v = (self.total_sq - self.total * self.total / self.n) / (self.n - 1)
        return max(v, 0.0)


def mean_ci(m: Moments, z: float = Z95) -> Estimate:
    if not m.n:
        return Estimate(None, n=0)
    if m.n < 2:
        return Estimate(m.mean, n=m.n)
    se = math.sqrt(m.variance / m.n)
    return Estimate(m.mean, m.mean - z * se, m.mean + z * se, m.n)


def mean_difference(a: Moments, b: Moments, z: float = Z95) -> Estimate:
    """mean(a) - mean(b), Welch's normal approximation (unequal variances)."""
    if a.n < 2 or b.n < 2:
        return Estimate(None, n=a.n + b.n)
    d = a.mean - b.mean
    se = math.sqrt(a.variance / a.n + b.variance / b.n)
    return Estimate(d, d - z * se, d + z * se, a.n + b.n)


def ratio_of_means(a: Moments, b: Moments, z: float = Z95) -> Estimate:
    """mean(a) / mean(b) with a delta-method interval on the log scale ("advocate accounts are
    worth 1.6x (1.4x-1.9x) the others")."""
    if a.n < 2 or b.n < 2 or not a.mean or not b.mean or a.mean <= 0 or b.mean <= 0:
        return Estimate(None, n=a.n + b.n)
    r = a.mean / b.mean
    var_log = a.variance / (a.n * a.mean**2) + b.variance / (b.n * b.mean**2)
    se = math.sqrt(var_log)
    return Estimate(r, r * math.exp(-z * se), r * math.exp(z * se), a.n + b.n)


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    iterations: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """Percentile bootstrap interval (seeded, so a figure does not move between page loads)."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return Estimate(None, n=0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(iterations, arr.size))
    stats = np.apply_along_axis(statistic, 1, arr[idx])
    tail = (1 - level) / 2
    return Estimate(
        float(statistic(arr)),
        float(np.quantile(stats, tail)),
        float(np.quantile(stats, 1 - tail)),
        int(arr.size),
    )


# --- survival ------------------------------------------------------------------------------


@dataclass
class Survival:
    """A Kaplan-Meier curve: S(t) just after each event time, with the exponential Greenwood
    (log-log) 95% band, the same band lifelines draws by default."""

    times: list[float]
    survival: list[float]
    low: list[float]
    high: list[float]
    at_risk: list[int]
    n: int
    events: int

    def at(self, t: float) -> float | None:
        """S(t): the estimate at the last event time <= t (1.0 before the first event)."""
        if not self.n:
            return None
        value = 1.0
        for time, s in zip(self.times, self.survival, strict=True):
            if time > t:
                break
            value = s
        return value

    def band_at(self, t: float) -> tuple[float | None, float | None]:
        low = high = 1.0
        for time, lo, hi in zip(self.times, self.low, self.high, strict=True):
            if time > t:
                break
            low, high = lo, hi
        return (low, high) if self.n else (None, None)


def kaplan_meier(durations: Sequence[float], events: Sequence[bool], z: float = Z95) -> Survival:
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    n = int(t.size)
    if n == 0:
        return Survival([], [], [], [], [], 0, 0)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    deaths = np.add.reduceat(e.astype(int), first)
    removed = np.diff(np.append(first, n))
    at_risk = n - np.concatenate([[0], np.cumsum(removed)[:-1]])
    mask = deaths > 0
    times, d, r = uniq[mask], deaths[mask], at_risk[mask]
    s = np.cumprod(1.0 - d / r)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(d / (r * (r - d)))
        v = np.log(s)
        log_minus_v = np.log(-v)
        spread = z * np.sqrt(greenwood) / v
        low = np.exp(-np.exp(log_minus_v - spread))
        high = np.exp(-np.exp(log_minus_v + spread))
    # Where S = 1 or S = 0 the log-log band is undefined: it collapses to the estimate.
    low = np.where(np.isfinite(low), low, s)
    high = np.where(np.isfinite(high), high, s)
    return Survival(
        times=[float(x) for x in times],
        survival=[float(x) for x in s],
        low=[float(x) for x in low],
        high=[float(x) for x in high],
        at_risk=[int(x) for x in r],
        n=n,
        events=int(e.sum()),
    )


@dataclass(frozen=True)
class LogRank:
    statistic: float | None
    p_value: float | None
    observed: tuple[int, int] = (0, 0)
    expected: tuple[float, float] = (0.0, 0.0)


def log_rank(
    durations_a: Sequence[float],
    events_a: Sequence[bool],
    durations_b: Sequence[float],
    events_b: Sequence[bool],
) -> LogRank:
    """The two-group log-rank test (chi-square, one degree of freedom)."""
    ta, ea = np.asarray(durations_a, float), np.asarray(events_a, bool)
    tb, eb = np.asarray(durations_b, float), np.asarray(events_b, bool)
    if ta.size == 0 or tb.size == 0:
        return LogRank(None, None)
    times = np.unique(np.concatenate([ta[ea], tb[eb]]))
    if times.size == 0:
        return LogRank(None, None, (0, 0), (0.0, 0.0))
    ta_sorted, tb_sorted = np.sort(ta), np.sort(tb)
    # at risk at time t: durations >= t
    na = ta.size - np.searchsorted(ta_sorted, times, side="left")
    nb = tb.size - np.searchsorted(tb_sorted, times, side="left")
    da = np.searchsorted(np.sort(ta[ea]), times, side="right") - np.searchsorted(
        np.sort(ta[ea]), times, side="left"
    )
    db = np.searchsorted(np.sort(tb[eb]), times, side="right") - np.searchsorted(
        np.sort(tb[eb]), times, side="left"
    )
    n = na + nb
    d = da + db
    expected_a = d * na / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, na * nb * d * (n - d) / (n * n * (n - 1)), 0.0)
    total_var = float(var.sum())
    oa, ea_sum = int(da.sum()), float(expected_a.sum())
    if total_var <= 0:
        return LogRank(None, None, (oa, int(db.sum())), (ea_sum, float(d.sum()) - ea_sum))
    stat = (oa - ea_sum) ** 2 / total_var
    return LogRank(
        float(stat), chi2_1df_sf(stat), (oa, int(db.sum())), (ea_sum, float(d.sum()) - ea_sum)
    )


def rate_ratio(events_a: int, exposure_a: float, events_b: int, exposure_b: float) -> Estimate:
    """(events_a / exposure_a) / (events_b / exposure_b), Poisson log-scale interval. Used for
    "referees churn N times as often once their referrer has churned"."""
    if exposure_a <= 0 or exposure_b <= 0 or events_a <= 0 or events_b <= 0:
        if exposure_a > 0 and exposure_b > 0 and events_b > 0:
            return Estimate(
                (events_a / exposure_a) / (events_b / exposure_b), n=events_a + events_b
            )
        return Estimate(None, n=events_a + events_b)
    r = (events_a / exposure_a) / (events_b / exposure_b)
    se = math.sqrt(1 / events_a + 1 / events_b)
    return Estimate(r, r * math.exp(-Z95 * se), r * math.exp(Z95 * se), events_a + events_b)


@dataclass
class ReferrerEffect:
    """Churn per account-year of referees while their referrer is a customer vs after the
    referrer churned (the exposure of each referee is split at its referrer's churn date)."""

    events_while: int = 0
    years_while: float = 0.0
    events_after: int = 0
    years_after: float = 0.0
    referees: int = 0
    referrers_churned: int = 0
    ratio: Estimate = field(default_factory=lambda: Estimate(None))

    @property
    def rate_while(self) -> float | None:
        return rate(self.events_while, self.years_while)

    @property
    def rate_after(self) -> float | None:
        return rate(self.events_after, self.years_after)


def referrer_effect(rows: Iterable[tuple[float, float, bool, float | None]]) -> ReferrerEffect:
    """rows: (referee start, referee end, referee churned at end, referrer churn time or None),
    all in days on one axis. Time after the referrer's churn counts as "after"."""
    out = ReferrerEffect()
    churned_referrers = 0
    for start, end, churned, referrer_churn in rows:
        if end <= start:
            continue
        out.referees += 1
        if referrer_churn is not None and referrer_churn < end:
            churned_referrers += 1
            split = max(referrer_churn, start)
            out.years_while += (split - start) / 365.25
            out.years_after += (end - split) / 365.25
            if churned:
                out.events_after += 1
        else:
            out.years_while += (end - start) / 365.25
            if churned:
                out.events_while += 1
    out.referrers_churned = churned_referrers
    out.ratio = rate_ratio(out.events_after, out.years_after, out.events_while, out.years_while)
    return out


# --- reference lift: exact matching on strata ----------------------------------------------


@dataclass
class Lift:
    """Win rate of referenced opportunities minus comparable unreferenced ones, averaged over
    strata with the referenced opportunities' weights (the effect on the treated)."""

    estimate: Estimate
    treated_win_rate: float | None
    control_win_rate: float | None  # weighted the same way: what the treated "would" have won
    matched_treated: int
    unmatched_treated: int
    controls_used: int
    strata: list[dict]


def stratified_lift(rows: Iterable[tuple[Hashable, bool, bool]], z: float = Z95) -> Lift:
    """rows: (stratum, referenced, won) for closed opportunities. Strata without both a
    referenced and an unreferenced opportunity are left out (and counted as unmatched).

    lift = sum_s w_s (p1_s - p0_s), w_s = n1_s / N1 over matched strata;
    var  = sum_s w_s^2 (p1_s (1 - p1_s) / n1_s + p0_s (1 - p0_s) / n0_s)."""
    cells: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n1, w1, n0, w0
    for stratum, treated, won in rows:
        c = cells[stratum]
        if treated:
            c[0] += 1
            c[1] += int(won)
        else:
            c[2] += 1
            c[3] += int(won)
    matched = {k: c for k, c in cells.items() if c[0] and c[2]}
    unmatched = sum(c[0] for k, c in cells.items() if k not in matched)
    n1 = sum(c[0] for c in matched.values())
    if not n1:
        return Lift(Estimate(None), None, None, 0, unmatched, 0, [])
    diff = var = treated_rate = control_rate = 0.0
    strata = []
    for key, (t, tw, c, cw) in sorted(matched.items(), key=lambda kv: str(kv[0])):
        w = t / n1
        p1, p0 = tw / t, cw / c
        diff += w * (p1 - p0)
        var += w * w * (p1 * (1 - p1) / t + p0 * (1 - p0) / c)
        treated_rate += w * p1
        control_rate += w * p0
        strata.append(
            {"stratum": key, "referenced": t, "referenced_won": tw, "others": c, "others_won": cw}
        )
    se = math.sqrt(var)
    return Lift(
        # a difference of proportions lies in [-1, 1]; the normal interval is clipped to it
        Estimate(diff, max(-1.0, diff - z * se), min(1.0, diff + z * se), n1),
        treated_rate,
        control_rate,
        n1,
        unmatched,
        sum(c[2] for c in matched.values()),
        strata,
    )


def coarsened_strata(
    rows: Sequence[tuple[tuple, bool, bool]], levels: Sequence[int]
) -> list[tuple[tuple, bool, bool]]:
    """Coarsened exact matching: each row's key is a tuple of attributes, finest first. A
    referenced row keeps the longest prefix (from `levels`, e.g. [3, 2, 1]) for which an
    unreferenced row with the same prefix exists; the unreferenced rows are repeated at every
    level so each stratum has its comparators. Returns (stratum, referenced, won) rows."""
    controls_at = {k: {r[0][:k] for r in rows if not r[1]} for k in levels}
    chosen: dict[int, list] = defaultdict(list)
    for key, treated, won in rows:
        if not treated:
            continue
        for k in levels:
            if key[:k] in controls_at[k]:
                chosen[k].append((key[:k], won))
                break
        else:
            chosen[levels[-1]].append((key[: levels[-1]], won))
    out: list[tuple[tuple, bool, bool]] = []
    for k, treated_rows in chosen.items():
        keys = {prefix for prefix, _ in treated_rows}
        out += [((k, *prefix), True, won) for prefix, won in treated_rows]
        out += [((k, *r[0][:k]), False, r[2]) for r in rows if not r[1] and r[0][:k] in keys]
    return out


# --- small helpers -------------------------------------------------------------------------


def size_band(amount: float) -> str:
    for limit, label in ((25_000, "<25k"), (60_000, "25-60k"), (150_000, "60-150k")):
        if amount < limit:
            return label
    return "150k+"


def nps(promoters: int, passives: int, detractors: int) -> Estimate:
    """NPS with the usual 95% margin (variance of a -1/0/+1 variable)."""
    n = promoters + passives + detractors
    if not n:
        return Estimate(None, n=0)
    p, d = promoters / n, detractors / n
    score = 100 * (p - d)
    var = (p + d - (p - d) ** 2) / n
    moe = 100 * Z95 * math.sqrt(max(var, 0.0))
    return Estimate(score, max(-100.0, score - moe), min(100.0, score + moe), n)


def sample(values: Sequence, k: int, seed: int = 0) -> list:
    """A seeded sample (for charts that cannot show 30,000 points)."""
    if len(values) <= k:
        return list(values)
    return random.Random(seed).sample(list(values), k)
