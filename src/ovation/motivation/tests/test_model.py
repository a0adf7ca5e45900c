"""The pure model: updates, pooling, scoring, calibration (no database)."""

import numpy as np

from ovation.motivation import model
from ovation.motivation.defaults import ASK_TYPES

FEEDBACK = model.weight_vector(ASK_TYPES["challenge.feedback"][7])
SPEAKING = model.weight_vector(ASK_TYPES["challenge.speaking"][7])
POP = np.full(model.M, 0.3)


def test_weight_vector_normalises_and_accepts_a_list():
    assert FEEDBACK.sum() == 1.0
    assert FEEDBACK[model.INDEX["say"]] == 0.8
    v = model.weight_vector(["say", "peers"])
    assert v[model.INDEX["say"]] == 0.5 and v[model.INDEX["peers"]] == 0.5
    assert np.allclose(model.weight_vector({}), 1 / model.M)


def test_an_acceptance_raises_and_a_decline_lowers_the_prediction():
    a, b = model.prior_params(POP, 4.0)
    before = model.predict(a, b, FEEDBACK[None, :])[0]
    a1, b1, ds, df = model.update(a, b, FEEDBACK, "accepted")
    a2, b2, *_ = model.update(a, b, FEEDBACK, "declined")
    assert before == 0.3
    assert model.predict(a1, b1, FEEDBACK[None, :])[0] > before
    assert model.predict(a2, b2, FEEDBACK[None, :])[0] < before
    # the credit goes to the motivators the ask appeals to, summing to one response
    assert round(ds.sum(), 6) == 1.0 and df.sum() == 0
    assert ds[model.INDEX["say"]] > ds[model.INDEX["problem_solving"]] > 0
    assert ds[model.INDEX["spotlight"]] == 0


def test_ignored_counts_half_a_decline():
    a, b = model.prior_params(POP, 4.0)
    *_, df_ignored = model.update(a, b, FEEDBACK, "ignored")
    *_, df_declined = model.update(a, b, FEEDBACK, "declined")
    assert round(df_ignored.sum(), 6) == 0.5 and round(df_declined.sum(), 6) == 1.0


def test_declined_speaking_and_accepted_feedback_rank_feedback_first():
    a, b = model.prior_params(POP, 4.0)
    a, b, *_ = model.fold(a, b, [(SPEAKING, "declined")] * 2 + [(FEEDBACK, "accepted")] * 3)
    p_feedback, p_speaking = model.predict(a, b, np.array([FEEDBACK, SPEAKING]))
    assert p_feedback > 0.5 > 0.3 > p_speaking


def test_the_prior_pulls_a_new_contact_to_the_population():
    pop = np.array([0.5, 0.2, 0.1, 0.4, 0.3, 0.3, 0.2, 0.1])
    mean, source = model.prior_mean(pop)
    assert source == "population" and np.allclose(mean, pop)
    # one acceptance moves a strongly pooled contact less than a weakly pooled one
    strong = model.fold(*model.prior_params(pop, 20.0), [(FEEDBACK, "accepted")])
    weak = model.fold(*model.prior_params(pop, 2.0), [(FEEDBACK, "accepted")])
    base = model.predict(*model.prior_params(pop, 20.0), FEEDBACK[None, :])[0]
    assert 0 < model.predict(strong[0], strong[1], FEEDBACK[None, :])[0] - base < 0.05
    assert model.predict(weak[0], weak[1], FEEDBACK[None, :])[0] - base > 0.15


def test_questionnaire_and_persona_shift_the_prior():
    mean, source = model.prior_mean(POP, answers={"product_input": 4, "speaking": 0})
    assert source == "questionnaire"
    assert mean[model.INDEX["say"]] > 0.5 > 0.3 > mean[model.INDEX["spotlight"]]
    mean, source = model.prior_mean(POP, persona="technical", seniority="")
    assert source == "persona" and mean[model.INDEX["problem_solving"]] > 0.3


def test_fit_population_recovers_mean_and_spread():
    rng = np.random.default_rng(1)
    theta = rng.beta(3, 7, size=(3000, model.M))  # mean .3, strength 10
    trials = np.full((3000, model.M), 20.0)
    succ = rng.binomial(20, theta).astype(float)
    mean, strength = model.fit_population(succ, trials)
    assert np.allclose(mean, 0.3, atol=0.02)
    assert 7 < strength < 14
    # no data: the defaults
    mean, strength = model.fit_population(np.zeros((0, model.M)), np.zeros((0, model.M)))
    assert strength == model.DEFAULT_STRENGTH


def test_thompson_is_reproducible_with_a_seed():
    a, b = model.prior_params(POP, 4.0)
    W = np.array([FEEDBACK, SPEAKING])
    s1 = model.thompson(a, b, W, np.random.default_rng(5))
    s2 = model.thompson(a, b, W, np.random.default_rng(5))
    assert np.array_equal(s1, s2)


def test_score_prefers_value_and_penalises_fatigue():
    assert model.score(0.5, 10, 0.5, 0) > model.score(0.5, 1, 0.5, 0)
    assert model.score(0.5, 10, 0.5, 1.0) < model.score(0.5, 10, 0.5, 0)
    assert model.value_weight(10) == 1.0 and model.value_weight(0) == 0.5


def test_calibration_and_gini():
    p = np.array([0.1] * 10 + [0.9] * 10)
    y = np.array([0] * 9 + [1] + [1] * 9 + [0])
    bins = model.calibration(p, y)
    assert bins[1].n == 10 and bins[1].observed == 0.1
    assert bins[9].n == 10 and bins[9].observed == 0.9
    assert round(model.calibration_error(p, y), 6) == 0.0
    assert model.gini([1, 1, 1, 1]) == 0.0
    assert round(model.gini([0, 0, 0, 4]), 2) == 0.75
