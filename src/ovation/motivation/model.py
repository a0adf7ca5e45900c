"""The motivation model: pure NumPy, no database. The app and `bench/motivation_sim.py` both
call these functions, so the simulation measures exactly what the product does.

The model. Each contact has, for each motivator m (seed 003: purpose, having a say, spotlight,
peers, problem-solving, mastery, recognition, reward), an unknown probability theta_m of saying
yes to an ask that appeals to m, with a Beta(alpha_m, beta_m) belief. An ask type t appeals to
the motivators with weights w_t (summing to 1), and

    P(accept t) = sum_m w_tm * theta_m        (a mixture: "which motivator does this ask tap")

A response y (1 accepted/completed, 0 declined/ignored) updates the belief with the exact
posterior responsibilities of the mixture (assumed-density filtering):
r_m ~ w_m * theta_m if y = 1 else w_m * (1 - theta_m); alpha += r * y; beta += r * (1 - y).
An "ignored" ask counts as half a decline.

Pooling. The prior is Beta(k * mu_m, k * (1 - mu_m)): mu from the contact's questionnaire (or
persona/seniority, or the population when neither is known) shifted on the logit scale from
the population mean; k, the prior strength, is fitted to the population by empirical Bayes
(method of moments on per-contact acceptance rates), so a new contact starts at the population
and moves away from it as evidence arrives.

Recommending. score = p * value_weight(value) - fatigue_cost * load, with p the posterior mean
(or a Thompson sample, to keep exploring) and load the contact's recent asks over the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

MOTIVATORS: tuple[str, ...] = (
    "purpose",
    "say",
    "spotlight",
    "peers",
    "problem_solving",
    "mastery",
    "recognition",
    "reward",
)
M = len(MOTIVATORS)
INDEX = {m: i for i, m in enumerate(MOTIVATORS)}

MOTIVATOR_LABELS = {
    "purpose": "Purpose",
    "say": "Having a say",
    "spotlight": "Spotlight",
    "peers": "Peer connection",
    "problem_solving": "Problem-solving",
    "mastery": "Mastery / learning",
    "recognition": "Recognition",
    "reward": "Material reward",
}
# "You ..." phrases for explanations.
MOTIVATOR_PHRASES = {
    "purpose": "you like making a difference for your peers",
    "say": "you enjoy giving product input",
    "spotlight": "you enjoy the spotlight",
    "peers": "you like meeting peers",
    "problem_solving": "you enjoy solving problems",
    "mastery": "you like learning new skills",
    "recognition": "you like being recognised",
    "reward": "you like earning rewards",
}

OUTCOMES = ("accepted", "completed", "declined", "ignored")
OUTCOME_Y = {"accepted": 1.0, "completed": 1.0, "declined": 0.0, "ignored": 0.0}
OUTCOME_WEIGHT = {"accepted": 1.0, "completed": 1.0, "declined": 1.0, "ignored": 0.5}

DEFAULT_MEAN = 0.3
DEFAULT_STRENGTH = 4.0
MIN_STRENGTH, MAX_STRENGTH = 1.0, 40.0
EPS = 1e-9

# The hub questionnaire's topics and the motivators each one speaks to.
TOPIC_MOTIVATORS: dict[str, dict[str, float]] = {
    "speaking": {"spotlight": 0.8, "recognition": 0.2},
    "writing": {"purpose": 0.4, "spotlight": 0.3, "recognition": 0.3},
    "events": {"peers": 0.8, "mastery": 0.2},
    "product_input": {"say": 0.8, "problem_solving": 0.2},
    "helping_peers": {"purpose": 0.6, "peers": 0.4},
    "learning": {"mastery": 0.8, "problem_solving": 0.2},
    "recognition": {"recognition": 1.0},
    "rewards": {"reward": 1.0},
}
TOPIC_SHIFT = 0.7  # logit shift per questionnaire point away from "It's OK" (2)

# Weak priors when the questionnaire is unanswered (logit shifts; the data soon overrides).
PERSONA_SHIFT: dict[str, dict[str, float]] = {
    "executive": {"say": 0.5, "purpose": 0.4, "spotlight": 0.2, "reward": -0.5},
    "admin": {"mastery": 0.4, "peers": 0.3, "problem_solving": 0.2},
    "technical": {"problem_solving": 0.5, "mastery": 0.4, "spotlight": -0.3},
    "business": {"peers": 0.3, "purpose": 0.3},
    "finance": {"say": 0.2, "reward": 0.2},
    "end_user": {"reward": 0.4, "recognition": 0.3, "mastery": 0.2},
}
SENIORITY_SHIFT: dict[str, dict[str, float]] = {
    "c_level": {"say": 0.4, "purpose": 0.3, "spotlight": 0.2, "reward": -0.5},
    "vp": {"say": 0.3, "spotlight": 0.2, "reward": -0.3},
    "director": {"say": 0.2, "peers": 0.2},
    "manager": {"peers": 0.2, "recognition": 0.2},
    "ic": {"mastery": 0.3, "reward": 0.3, "problem_solving": 0.2},
}


# --- vectors ------------------------------------------------------------------------------------


def weight_vector(weights: Mapping[str, float] | Iterable[str]) -> np.ndarray:
    """Motivator weights of an ask type as a vector summing to 1 (a list of motivator names
    counts each equally; nothing known = all equal)."""
    v = np.zeros(M)
    if isinstance(weights, Mapping):
        for k, w in weights.items():
            if k in INDEX and w and float(w) > 0:
                v[INDEX[k]] = float(w)
    else:
        for k in weights:
            if k in INDEX:
                v[INDEX[k]] = 1.0
    total = v.sum()
    return v / total if total > 0 else np.full(M, 1.0 / M)


def weight_matrix(rows: Iterable[Mapping[str, float]]) -> np.ndarray:
    return np.array([weight_vector(r) for r in rows]).reshape(-1, M)


def logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


# --- priors -------------------------------------------------------------------------------------


def prior_shift(
    *, answers: Mapping[str, int] | None = None, persona: str = "", seniority: str = ""
) -> tuple[np.ndarray, str]:
    """Logit shift of the contact's prior away from the population, and its source:
    "questionnaire" (stated), "persona" (persona and/or seniority) or "population"."""
    shift = np.zeros(M)
    if answers:
        for topic, rating in answers.items():
            for m, w in TOPIC_MOTIVATORS.get(topic, {}).items():
                shift[INDEX[m]] += TOPIC_SHIFT * w * (float(rating) - 2.0)
        return shift, "questionnaire"
    known = False
    for table, key in ((PERSONA_SHIFT, persona), (SENIORITY_SHIFT, seniority)):
        if key in table:
            known = True
            for m, s in table[key].items():
                shift[INDEX[m]] += s
    return shift, "persona" if known else "population"


def prior_mean(
    population_mean: np.ndarray,
    *,
    answers: Mapping[str, int] | None = None,
    persona: str = "",
    seniority: str = "",
) -> tuple[np.ndarray, str]:
    """The contact's prior mean per motivator and where it came from (see `prior_shift`)."""
    shift, source = prior_shift(answers=answers, persona=persona, seniority=seniority)
    return shifted_mean(population_mean, shift), source


def shifted_mean(population_mean: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Population mean moved by logit shift(s); shift may be (M,) or (N, M)."""
    return np.clip(expit(logit(np.asarray(population_mean, float)) + shift), 0.02, 0.98)


def prior_params(mean: np.ndarray, strength: float) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(mean, float)
    return strength * mean, strength * (1.0 - mean)


def fit_population(
    successes: np.ndarray, trials: np.ndarray, *, min_trials: float = 2.0
) -> tuple[np.ndarray, float]:
    """Empirical Bayes: the population mean per motivator and one prior strength k.

    `successes`, `trials`: (contacts, motivators) soft counts. k comes from the method of
    moments: the spread of per-contact rates beyond binomial noise is the spread of theta,
    Var(theta) = mu (1 - mu) / (k + 1). Little data gives the defaults."""
    s = np.asarray(successes, float).reshape(-1, M)
    n = np.asarray(trials, float).reshape(-1, M)
    pseudo = 2.0
    mean = (s.sum(0) + pseudo * DEFAULT_MEAN) / (n.sum(0) + pseudo)
    strengths = []
    for m in range(M):
        mask = n[:, m] >= min_trials
        if mask.sum() < 20:
            continue
        nm, rm = n[mask, m], s[mask, m] / n[mask, m]
        mu = mean[m]
        observed = float(np.average((rm - mu) ** 2, weights=nm))
        noise = float(np.average(mu * (1 - mu) / nm, weights=nm))
        between = observed - noise
        if between <= 1e-6:
            strengths.append(MAX_STRENGTH)
        else:
            strengths.append(mu * (1 - mu) / between - 1.0)
    strength = float(np.median(strengths)) if strengths else DEFAULT_STRENGTH
    return np.clip(mean, 0.02, 0.98), float(np.clip(strength, MIN_STRENGTH, MAX_STRENGTH))


# --- updating -----------------------------------------------------------------------------------


def responsibilities(alpha: np.ndarray, beta: np.ndarray, w: np.ndarray, y: np.ndarray):
    """Posterior share of each motivator in explaining the response(s). Rows broadcast."""
    theta = alpha / (alpha + beta)
    y = np.asarray(y, float)[..., None] if np.ndim(y) else float(y)
    r = w * (y * theta + (1 - y) * (1 - theta))
    return r / np.maximum(r.sum(-1, keepdims=True), EPS)


def update(
    alpha: np.ndarray, beta: np.ndarray, w: np.ndarray, outcome: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One response to one ask: returns (alpha, beta, d_success, d_failure) (new arrays)."""
    y, weight = OUTCOME_Y[outcome], OUTCOME_WEIGHT[outcome]
    r = responsibilities(alpha, beta, w, y) * weight
    ds, df = r * y, r * (1 - y)
    return alpha + ds, beta + df, ds, df


def update_batch(
    alpha: np.ndarray,
    beta: np.ndarray,
    rows: np.ndarray,
    W: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `update` for many contacts at once (`rows` index alpha/beta, one response
    each; W: (len(rows), M) ask weights; y: 0/1). Updates alpha and beta in place and
    returns the soft (success, failure) increments."""
    r = responsibilities(alpha[rows], beta[rows], W, y) * np.asarray(weight, float).reshape(-1, 1)
    y = np.asarray(y, float).reshape(-1, 1)
    ds, df = r * y, r * (1 - y)
    np.add.at(alpha, rows, ds)
    np.add.at(beta, rows, df)
    return ds, df


def fold(
    prior_alpha: np.ndarray, prior_beta: np.ndarray, observations: Iterable[tuple[np.ndarray, str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Apply (ask weights, outcome) responses in order: (alpha, beta, successes, failures)."""
    alpha, beta = np.array(prior_alpha, float), np.array(prior_beta, float)
    succ, fail = np.zeros(M), np.zeros(M)
    for w, outcome in observations:
        alpha, beta, ds, df = update(alpha, beta, w, outcome)
        succ += ds
        fail += df
    return alpha, beta, succ, fail


# --- predicting and scoring ---------------------------------------------------------------------


def theta_mean(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return alpha / (alpha + beta)


def predict(alpha: np.ndarray, beta: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Expected acceptance: (M,) x (K, M) -> (K,); (N, M) x (K, M) -> (N, K)."""
    return theta_mean(alpha, beta) @ np.asarray(W).T


def thompson(alpha: np.ndarray, beta: np.ndarray, W: np.ndarray, rng: np.random.Generator):
    """One posterior draw of the acceptance of each ask type (same shapes as `predict`)."""
    theta = rng.beta(np.maximum(alpha, EPS), np.maximum(beta, EPS))
    return theta @ np.asarray(W).T


def value_weight(value, max_value: float = 10.0):
    """Company value 0..max as a multiplier in [0.5, 1]: value tilts the choice between asks
    the advocate is likely to accept; it never makes an unwanted ask the top pick."""
    return 0.5 + 0.5 * np.clip(np.asarray(value, float) / max_value, 0, 1)


def fatigue_load(recent_asks, cap: float):
    """Share of the contact's budget already used (0 = rested, 1 = at the cap)."""
    if not cap:
        return np.zeros_like(np.asarray(recent_asks, float))
    return np.asarray(recent_asks, float) / float(cap)


def score(p, value, fatigue_cost, load):
    return np.asarray(p) * value_weight(value) - np.asarray(fatigue_cost) * 0.5 * np.asarray(load)


def top_motivator(alpha: np.ndarray, beta: np.ndarray, w: np.ndarray) -> str:
    """The motivator contributing most to this ask's expected acceptance."""
    return MOTIVATORS[int(np.argmax(w * theta_mean(alpha, beta)))]


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class CalibrationBin:
    lo: float
    hi: float
    n: int
    predicted: float
    observed: float


def calibration(predicted, observed, bins: int = 10) -> list[CalibrationBin]:
    """Predicted vs observed acceptance by decile of the predicted probability."""
    p, y = np.asarray(predicted, float), np.asarray(observed, float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        n = int(mask.sum())
        out.append(
            CalibrationBin(
                float(edges[b]),
                float(edges[b + 1]),
                n,
                float(p[mask].mean()) if n else 0.0,
                float(y[mask].mean()) if n else 0.0,
            )
        )
    return out


def calibration_error(predicted, observed, bins: int = 10) -> float:
    """Expected calibration error: the size-weighted gap between predicted and observed."""
    rows = calibration(predicted, observed, bins)
    total = sum(r.n for r in rows)
    if not total:
        return 0.0
    return sum(r.n * abs(r.predicted - r.observed) for r in rows) / total


def brier(predicted, observed) -> float:
    p, y = np.asarray(predicted, float), np.asarray(observed, float)
    return float(np.mean((p - y) ** 2)) if p.size else 0.0


def gini(values) -> float:
    """0 = every advocate asked equally, 1 = one advocate asked for everything."""
    x = np.sort(np.asarray(values, float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    n = x.size
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)
