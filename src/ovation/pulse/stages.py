"""The advocate definition applied to one contact's evidence. Pure: no database.

`stage_history` walks a contact's NPS answers and advocacy acts in time order and returns
every dated stage change with the evidence that caused it, including the changes caused by
evidence ageing out of its window (a promoter whose last 9 is now 13 months old)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CUSTOMER, PROMOTER, ADVOCATE, CHAMPION = "customer", "promoter", "advocate", "champion"
RANK = {CUSTOMER: 0, PROMOTER: 1, ADVOCATE: 2, CHAMPION: 3}

KIND_LABELS = {
    "reference.given": "reference given",
    "referral.made": "referral made",
    "review.written": "review written",
    "case_study.published": "case study published",
    "speaking.done": "spoke at an event",
    "event.attended": "event attended",
    "program.joined": "joined a program",
    "social.shared": "social share",
    "challenge.completed": "challenge completed",
    "idea.submitted": "idea submitted",
    "cab.attended": "advisory board meeting",
    "webinar.attended": "webinar",
}


@dataclass(frozen=True)
class Rules:
    """The numbers of an AdvocateDefinition (a plain copy, so this module needs no models)."""

    promoter_min_score: int = 9
    promoter_window_days: int = 365
    advocate_min_acts: int = 1
    advocate_window_days: int = 182
    champion_min_acts: int = 3
    champion_window_days: int = 365
    advocacy_kinds: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_definition(cls, definition) -> Rules:
        return cls(
            promoter_min_score=definition.promoter_min_score,
            promoter_window_days=definition.promoter_window_days,
            advocate_min_acts=definition.advocate_min_acts,
            advocate_window_days=definition.advocate_window_days,
            champion_min_acts=definition.champion_min_acts,
            champion_window_days=definition.champion_window_days,
            advocacy_kinds=frozenset(definition.advocacy_kinds),
        )


@dataclass(frozen=True)
class Change:
    at: datetime
    from_stage: str
    to_stage: str
    explanation: str


def _d(at: datetime) -> str:
    return f"{at.day} {at:%b %Y}"


def _label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace(".", " ").replace("_", " "))


def evaluate(
    nps: list[tuple[datetime, int]], acts: list[tuple[datetime, str]], rules: Rules, at: datetime
) -> tuple[str, str]:
    """The stage at instant `at` and why. `nps` and `acts` must be sorted by time."""
    latest = None
    for when, score in nps:
        if when <= at:
            latest = (when, score)
        else:
            break
    if latest is None:
        return CUSTOMER, "no NPS answer yet"
    when, score = latest
    if score < rules.promoter_min_score:
        return CUSTOMER, f"latest NPS {score} on {_d(when)} (below {rules.promoter_min_score})"
    if when <= at - timedelta(days=rules.promoter_window_days):
        return CUSTOMER, (
            f"latest NPS {score} on {_d(when)} is older than {rules.promoter_window_days} days"
        )
    nps_text = f"NPS {score} on {_d(when)}"
    adv_from = at - timedelta(days=rules.advocate_window_days)
    champ_from = at - timedelta(days=rules.champion_window_days)
    recent = [(w, k) for w, k in acts if adv_from < w <= at and k in rules.advocacy_kinds]
    year = [(w, k) for w, k in acts if champ_from < w <= at and k in rules.advocacy_kinds]
    if len(recent) < rules.advocate_min_acts:
        if year:
            return PROMOTER, (
                f"{nps_text}; last advocacy act ({_label(year[-1][1])} on {_d(year[-1][0])}) "
                f"is older than {rules.advocate_window_days} days"
            )
        return PROMOTER, f"{nps_text}; no advocacy act yet"
    if len(year) >= rules.champion_min_acts:
        listed = ", ".join(f"{_label(k)} on {_d(w)}" for w, k in year[-rules.champion_min_acts :])
        return CHAMPION, (
            f"{nps_text} + {len(year)} advocacy acts in {rules.champion_window_days} days "
            f"({listed})"
        )
    w, k = recent[-1]
    return ADVOCATE, f"{nps_text} + {_label(k)} on {_d(w)}"


def stage_history(
    nps: list[tuple[datetime, int]],
    acts: list[tuple[datetime, str]],
    rules: Rules,
    until: datetime,
) -> list[Change]:
    """Every stage change up to `until`, oldest first. Inputs need not be sorted."""
    nps = sorted(nps)
    acts = sorted((w, k) for w, k in acts if k in rules.advocacy_kinds)
    moments: set[datetime] = set()
    for when, _ in nps:
        moments.add(when)
        moments.add(when + timedelta(days=rules.promoter_window_days))
    for when, _ in acts:
        moments.add(when)
        moments.add(when + timedelta(days=rules.advocate_window_days))
        moments.add(when + timedelta(days=rules.champion_window_days))
    changes: list[Change] = []
    current = CUSTOMER
    for moment in sorted(m for m in moments if m <= until):
        stage, why = evaluate(nps, acts, rules, moment)
        if stage != current:
            changes.append(Change(moment, current, stage, why[:500]))
            current = stage
    return changes
