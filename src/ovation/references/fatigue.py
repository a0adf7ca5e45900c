"""The fatigue rules as pure, vectorised functions (no database access).

One implementation serves both the single-contact check (`budget.ask_budget_check`, called
with the asks of one contact and its account) and the matching of a whole pool at once, so the
two can never disagree. Times are float days since the Unix epoch."""

from dataclasses import dataclass

import numpy as np

QUARTER_DAYS = 91
TYPE_CODES = {
    t: i
    for i, t in enumerate(
        [
            "call", "site_visit", "email", "rfp", "case_study", "video", "press",
            "challenge", "program", "speaking", "review", "other",
        ]
    )
}  # fmt: skip


def type_codes(values) -> np.ndarray:
    """Activity type strings as small integer codes (-1 = unknown)."""
    return np.fromiter((TYPE_CODES.get(v, -1) for v in values), np.int16)


@dataclass(frozen=True)
class PolicyRule:
    """One FatiguePolicy row, detached from the database. `scope` "" means every ask."""

    scope: str
    window_days: int
    max_asks_in_window: int
    min_days_between: int
    max_per_account_per_quarter: int
    decline_cooldown_days: int

    @property
    def scope_label(self) -> str:
        return f"{self.scope.replace('_', ' ')} asks" if self.scope else "all asks"

    @property
    def scope_name(self) -> str:
        return self.scope or "overall"


@dataclass
class AskColumns:
    """The asks to count, as columns. `contact_idx`/`account_idx` index the population being
    checked (-1 = not in it); `activity_type` holds the type strings."""

    contact_idx: np.ndarray
    account_idx: np.ndarray
    ts: np.ndarray
    activity_type: np.ndarray
    declined: np.ndarray

    @classmethod
    def empty(cls) -> "AskColumns":
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.float64),
            np.zeros(0, dtype=np.int16),
            np.zeros(0, bool),
        )


@dataclass
class FatigueResult:
    """`blocked_by[i]` is the index in `rules` of the first rule contact i breaks, or -1.
    `detail[i]` gives the figure behind it (count, days) for the explanation."""

    blocked_by: np.ndarray
    value: np.ndarray
    rules: list[tuple[str, str]]  # (rule name, reason template)

    def rule(self, i: int) -> str | None:
        k = int(self.blocked_by[i])
        return None if k < 0 else self.rules[k][0]

    def reason(self, i: int) -> str:
        k = int(self.blocked_by[i])
        if k < 0:
            return "within every fatigue limit"
        return self.rules[k][1].format(v=_fmt(self.value[i]))


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.0f}"


def evaluate(
    rules: list[PolicyRule],
    *,
    activity_type: str,
    now: float,
    asks: AskColumns,
    n_contacts: int,
    contact_account_idx: np.ndarray,
    n_accounts: int,
) -> FatigueResult:
    """Check every contact of a population against the rules that apply to `activity_type`
    (the overall rule set and the one for that type). Every ask up to now counts -- also one
    stamped a moment after `now` by a concurrent writer, so a re-check never misses it."""
    blocked = np.full(n_contacts, -1, dtype=np.int16)
    value = np.zeros(n_contacts, dtype=np.float64)
    descriptors: list[tuple[str, str]] = []
    past = np.ones(asks.ts.shape, bool)
    in_pop = asks.contact_idx >= 0

    def mark(mask: np.ndarray, name: str, template: str, figure: np.ndarray) -> None:
        descriptors.append((name, template))
        new = mask & (blocked < 0)
        blocked[new] = len(descriptors) - 1
        value[new] = figure[new]

    for rule in rules:
        if rule.scope and rule.scope != activity_type:
            continue
        if rule.scope:
            scoped = past & (asks.activity_type == TYPE_CODES.get(rule.scope, -2))
        else:
            scoped = past
        label = rule.scope_label
        name = rule.scope_name
        sel_c = scoped & in_pop
        if rule.decline_cooldown_days:
            sel = sel_c & asks.declined & (asks.ts > now - rule.decline_cooldown_days)
            last = np.full(n_contacts, -np.inf)
            np.maximum.at(last, asks.contact_idx[sel], asks.ts[sel])
            mark(
                last > -np.inf,
                f"{name}.decline_cooldown",
                f"declined {{v}} days ago; cooldown after a decline is "
                f"{rule.decline_cooldown_days} days ({label})",
                np.floor(now - last),
            )
        if rule.max_asks_in_window:
            sel = sel_c & (asks.ts > now - rule.window_days)
            counts = np.bincount(asks.contact_idx[sel], minlength=n_contacts)[:n_contacts]
            mark(
                counts >= rule.max_asks_in_window,
                f"{name}.max_asks_in_window",
                f"asked {{v}} times in the last {rule.window_days} days; the limit is "
                f"{rule.max_asks_in_window} ({label})",
                counts.astype(np.float64),
            )
        if rule.min_days_between:
            sel = sel_c & (asks.ts > now - rule.min_days_between)
            last = np.full(n_contacts, -np.inf)
            np.maximum.at(last, asks.contact_idx[sel], asks.ts[sel])
            mark(
                last > -np.inf,
                f"{name}.min_days_between",
                f"last asked {{v}} days ago; at least {rule.min_days_between} days must pass "
                f"between asks ({label})",
                np.floor(now - last),
            )
        if rule.max_per_account_per_quarter and n_accounts:
            sel = scoped & (asks.account_idx >= 0) & (asks.ts > now - QUARTER_DAYS)
            per_account = np.bincount(asks.account_idx[sel], minlength=n_accounts)[:n_accounts]
            has_acc = contact_account_idx >= 0
            counts = np.zeros(n_contacts, dtype=np.float64)
            counts[has_acc] = per_account[contact_account_idx[has_acc]]
            mark(
                counts >= rule.max_per_account_per_quarter,
                f"{name}.max_per_account_per_quarter",
                f"their company was asked {{v}} times in the last {QUARTER_DAYS} days; the limit "
                f"is {rule.max_per_account_per_quarter} per account per quarter ({label})",
                counts,
            )
    return FatigueResult(blocked, value, descriptors)


def allowance_next_quarter(
    rules: list[PolicyRule], *, activity_type: str, asks_in_window: np.ndarray
) -> np.ndarray:
    """How many more asks each contact could take over the next 91 days under the rules
    (ignoring account caps): the capacity forecast of pool health."""
    cap = np.full(asks_in_window.shape, np.inf)
    for rule in rules:
        if rule.scope and rule.scope != activity_type:
            continue
        if rule.max_asks_in_window:
            per_quarter = rule.max_asks_in_window * max(1.0, QUARTER_DAYS / rule.window_days)
            cap = np.minimum(cap, np.maximum(per_quarter - asks_in_window, 0))
        if rule.min_days_between:
            cap = np.minimum(cap, QUARTER_DAYS // rule.min_days_between)
    cap[np.isinf(cap)] = QUARTER_DAYS / 7  # no rule: at most one a week
    return np.floor(cap)


def gini(values) -> float:
    """Gini coefficient of non-negative values (0 = perfectly even, 1 = one takes all)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)
