"""NPS arithmetic. Pure functions, no database: counts in, numbers out.

- promoters score 9-10, passives 7-8, detractors 0-6;
- NPS = %promoters - %detractors, in points (-100..100);
- 95% margin of error with the standard NPS variance: with p = share of promoters and
  d = share of detractors, var = p + d - (p - d)^2, MoE = 1.96 * sqrt(var / n) * 100 points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

Z_95 = 1.96
PROMOTER = "promoter"
PASSIVE = "passive"
DETRACTOR = "detractor"


def category(score: int) -> str:
    if not 0 <= score <= 10:
        raise ValueError(f"NPS score must be 0-10, got {score}")
    if score >= 9:
        return PROMOTER
    if score >= 7:
        return PASSIVE
    return DETRACTOR


@dataclass(frozen=True)
class Nps:
    """One NPS figure with everything needed not to over-read it."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    margin_of_error: float | None

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def low(self) -> float | None:
        if self.nps is None or self.margin_of_error is None:
            return None
        return max(-100.0, self.nps - self.margin_of_error)

    @property
    def high(self) -> float | None:
        if self.nps is None or self.margin_of_error is None:
            return None
        return min(100.0, self.nps + self.margin_of_error)

    @property
    def promoter_pct(self) -> float | None:
        return None if not self.responses else 100.0 * self.promoters / self.responses

    @property
    def detractor_pct(self) -> float | None:
        return None if not self.responses else 100.0 * self.detractors / self.responses


def margin_of_error(promoters: int, detractors: int, n: int) -> float | None:
    """95% margin of error of the NPS, in points. None without responses."""
    if n <= 0:
        return None
    p = promoters / n
    d = detractors / n
    variance = p + d - (p - d) ** 2
    return Z_95 * math.sqrt(max(variance, 0.0) / n) * 100.0


def nps_from_counts(promoters: int, passives: int, detractors: int) -> Nps:
    n = promoters + passives + detractors
    if n == 0:
        return Nps(0, 0, 0, 0, None, None)
    value = 100.0 * (promoters - detractors) / n
    return Nps(
        responses=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=value,
        margin_of_error=margin_of_error(promoters, detractors, n),
    )


def nps_from_scores(scores: Iterable[int]) -> Nps:
    counts = {PROMOTER: 0, PASSIVE: 0, DETRACTOR: 0}
    for score in scores:
        counts[category(score)] += 1
    return nps_from_counts(counts[PROMOTER], counts[PASSIVE], counts[DETRACTOR])


def merge(results: Iterable[Nps]) -> Nps:
    """Merge survey rounds (or segments): the counts add, the NPS is recomputed."""
    p = pa = d = 0
    for r in results:
        p, pa, d = p + r.promoters, pa + r.passives, d + r.detractors
    return nps_from_counts(p, pa, d)


def difference(a: Nps, b: Nps) -> tuple[float | None, float | None]:
    """b - a and the 95% margin of that difference (independent samples), to compare rounds."""
    if a.nps is None or b.nps is None:
        return None, None
    moe = math.sqrt((a.margin_of_error or 0) ** 2 + (b.margin_of_error or 0) ** 2)
    return b.nps - a.nps, moe


def latest_per_person(rows: Iterable[tuple[object, datetime, int]]) -> dict[object, int]:
    """rows of (person, answered_at, score) -> each person's latest score (ties: last row)."""
    best: dict[object, tuple[datetime, int]] = {}
    for person, at, score in rows:
        current = best.get(person)
        if current is None or at >= current[0]:
            best[person] = (at, score)
    return {person: score for person, (_, score) in best.items()}


def person_based_nps(rows: Iterable[tuple[object, datetime, int]]) -> Nps:
    return nps_from_scores(latest_per_person(rows).values())


def account_scores(latest: Iterable[tuple[object, int]]) -> dict[object, float]:
    """(account, contact's latest score) pairs -> account score = mean of its contacts."""
    sums: dict[object, list[int]] = {}
    for account, score in latest:
        entry = sums.setdefault(account, [0, 0])
        entry[0] += score
        entry[1] += 1
    return {account: total / n for account, (total, n) in sums.items()}


def account_category(mean_score: float) -> str:
    """An account's mean score classified with the same cut-offs (>= 9 promoter, >= 7 passive)."""
    if mean_score >= 9:
        return PROMOTER
    if mean_score >= 7:
        return PASSIVE
    return DETRACTOR


def account_nps(means: Iterable[float]) -> Nps:
    counts = {PROMOTER: 0, PASSIVE: 0, DETRACTOR: 0}
    for m in means:
        counts[account_category(m)] += 1
    return nps_from_counts(counts[PROMOTER], counts[PASSIVE], counts[DETRACTOR])


def response_rate(invited: int, answered: int) -> float | None:
    return None if invited <= 0 else 100.0 * answered / invited


def rate(part: int, whole: int) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


# --- periods -------------------------------------------------------------------------------


def month_start(d: date | datetime) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from start's month to end's month, inclusive."""
    out, cur, last = [], month_start(start), month_start(end)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def quarter_key(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def group_counts(
    rows: Iterable[tuple[object, int, int, int]],
) -> dict[object, Nps]:
    """(key, promoters, passives, detractors) rows -> NPS per key (counts of equal keys add)."""
    acc: dict[object, list[int]] = {}
    for key, p, pa, d in rows:
        entry = acc.setdefault(key, [0, 0, 0])
        entry[0] += p
        entry[1] += pa
        entry[2] += d
    return {key: nps_from_counts(*v) for key, v in acc.items()}


def by_quarter(monthly: dict[date, Nps]) -> dict[str, Nps]:
    return group_counts(
        (quarter_key(m), r.promoters, r.passives, r.detractors) for m, r in monthly.items()
    )


# --- segments ------------------------------------------------------------------------------

ARR_BANDS = [
    ("lt25k", "< 25k", Decimal(0), Decimal(25_000)),
    ("25k-100k", "25k-100k", Decimal(25_000), Decimal(100_000)),
    ("100k-250k", "100k-250k", Decimal(100_000), Decimal(250_000)),
    ("250k+", "250k +", Decimal(250_000), None),
]
ARR_BAND_LABELS = {key: label for key, label, _, _ in ARR_BANDS}


def arr_band(arr) -> str:
    value = Decimal(str(arr or 0))
    for key, _, low, high in ARR_BANDS:
        if value >= low and (high is None or value < high):
            return key
    return ARR_BANDS[0][0]
