"""Twelve months of reference requests against a demo-like pool, fatigue policy on vs off,
through the same pure functions the app ranks with (scoring + fatigue). With the policy on no
contact exceeds a cap and the load is spread more evenly (lower Gini)."""

import random

import numpy as np

from ..fatigue import AskColumns, PolicyRule, evaluate, gini, type_codes
from ..scoring import RequestVector, combine, factor_columns

WEIGHTS = {
    "industry": 3,
    "region": 2,
    "size": 1.5,
    "products": 2.5,
    "text": 2,
    "seniority": 1,
    "recency": 1.5,
    "acceptance": 1,
    "rating": 1,
    "load": 1,
}
RULE = PolicyRule(
    scope="",
    window_days=90,
    max_asks_in_window=3,
    min_days_between=14,
    max_per_account_per_quarter=6,
    decline_cooldown_days=45,
)


def pool(rng, n=400):
    cols = {
        "industry": np.array([rng.randrange(8) for _ in range(n)]),
        "region": np.array([rng.randrange(4) for _ in range(n)]),
        "country": np.array([rng.randrange(12) for _ in range(n)]),
        "band": np.array([rng.randrange(5) for _ in range(n)], dtype=np.float32),
        "products": np.array([rng.randrange(1, 32) for _ in range(n)], dtype=np.int64),
        "seniority": np.array([rng.randrange(5) for _ in range(n)], dtype=np.float32),
        "tz": np.array([rng.choice([-5.0, 0.0, 1.0, 9.0]) for _ in range(n)], dtype=np.float32),
    }
    # Eight favourites: senior, friendly, glowing ratings -- every ranking loves them.
    fav = np.arange(8)
    cols["seniority"][fav] = 4
    cols["products"][fav] = 31
    cols["industry"][fav] = np.arange(8) % 2
    cols["region"][fav] = 0
    cols["band"][fav] = 2
    account = np.array([i // 4 for i in range(n)])
    return cols, account, fav


def simulate(policy_on: bool, seed=3, weeks=52, per_week=16):
    """16 requests a week (a mid-size sales team) against 400 reference-able contacts."""
    rng = random.Random(seed)
    cols, account, fav = pool(rng)
    n = cols["industry"].size
    asks_c, asks_t, asks_d = [], [], []
    accepted = np.zeros(n)
    asked = np.zeros(n)
    ratings = np.zeros(n)
    rating_n = np.zeros(n)
    accepted[fav], asked[fav], ratings[fav], rating_n[fav] = 9, 10, 48, 10
    for week in range(weeks):
        for k in range(per_week):
            now = week * 7.0 + k * 0.8
            # Most deals are in the two big industries and one region, like the demo's.
            req = RequestVector(
                industry=rng.choice([0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6, 7]),
                region=rng.choice([0, 0, 0, 1, 2, 3]),
                country=-1,
                band=rng.randrange(5),
                products=rng.randrange(1, 32),
                n_products=3,
                seniority=rng.randrange(5),
                tz=0.0,
            )
            ts = np.array(asks_t, dtype=np.float64)
            c_idx = np.array(asks_c, dtype=np.int64)
            last = np.full(n, -np.inf)
            np.maximum.at(last, c_idx, ts)
            state = {
                **cols,
                "last_ask": last,
                "ref_asked": asked,
                "ref_accepted": accepted,
                "rating_sum": ratings,
                "rating_n": rating_n,
                "load": np.zeros(n),
            }
            score = combine(factor_columns(state, req, now), WEIGHTS)
            if policy_on:
                fat = evaluate(
                    [RULE],
                    activity_type="call",
                    now=now,
                    asks=AskColumns(
                        c_idx,
                        account[c_idx] if c_idx.size else c_idx,
                        ts,
                        type_codes(["call"] * len(asks_c)),
                        np.array(asks_d, dtype=bool),
                    ),
                    n_contacts=n,
                    contact_account_idx=account,
                    n_accounts=int(account.max()) + 1,
                )
                score = np.where(fat.blocked_by >= 0, -np.inf, score)
            pick = int(np.argmax(score))
            declined = rng.random() < 0.12
            asks_c.append(pick)
            asks_t.append(now)
            asks_d.append(declined)
            asked[pick] += 1
            accepted[pick] += 0 if declined else 1
    usage = np.bincount(np.array(asks_c), minlength=n)
    return np.array(asks_c), np.array(asks_t), np.array(asks_d), usage


def worst_window(contacts, times, days=90):
    worst = 0
    for c in set(contacts.tolist()):
        t = np.sort(times[contacts == c])
        for i in range(t.size):
            worst = max(worst, int(((t > t[i] - days) & (t <= t[i])).sum()))
    return worst


def test_twelve_months_policy_on_vs_off(capsys):
    c_on, t_on, d_on, usage_on = simulate(policy_on=True)
    c_off, t_off, d_off, usage_off = simulate(policy_on=False)
    g_on, g_off = gini(usage_on), gini(usage_off)
    with capsys.disabled():
        print(
            f"\n12-month simulation ({usage_on.sum()} requests, 400 contacts): usage Gini "
            f"policy on {g_on:.3f} vs off {g_off:.3f}; most asks of one contact in 90 days: "
            f"on {worst_window(c_on, t_on)}, off {worst_window(c_off, t_off)}; busiest contact "
            f"in the year: on {usage_on.max()}, off {usage_off.max()}"
        )
    assert worst_window(c_on, t_on) <= RULE.max_asks_in_window
    for c in set(c_on.tolist()):
        gaps = np.diff(np.sort(t_on[c_on == c]))
        assert (gaps >= RULE.min_days_between).all()
        for t_decl in t_on[(c_on == c) & d_on]:
            later = t_on[(c_on == c) & (t_on > t_decl)]
            assert (later - t_decl >= RULE.decline_cooldown_days).all()
    assert worst_window(c_off, t_off) > RULE.max_asks_in_window
    # The policy spreads the load visibly: lower Gini, and the favourites carry half as much.
    assert g_on < g_off - 0.02
    assert usage_on.max() * 2 <= usage_off.max() + 1
    assert usage_on.sum() == usage_off.sum() == 52 * 16
