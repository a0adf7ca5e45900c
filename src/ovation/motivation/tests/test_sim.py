"""The simulation in reduced size: Ovation's recommender beats both baselines on acceptance
and burnout (the full-size run is `python bench/motivation_sim.py`)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[4] / "bench" / "motivation_sim.py"


@pytest.fixture(scope="module")
def sim():
    spec = importlib.util.spec_from_file_location("motivation_sim", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_ovation_beats_both_baselines_on_acceptance_and_burnout(sim):
    res = sim.simulate(300, 12, seed=7)
    ovation, points, rand = res["ovation"], res["points-only"], res["random"]
    assert ovation["acceptance"] >= 1.3 * points["acceptance"]
    assert ovation["acceptance"] > rand["acceptance"]
    assert ovation["over_budget_share"] < min(
        points["over_budget_share"], rand["over_budget_share"]
    )
    assert ovation["gini"] < min(points["gini"], rand["gini"])
    assert ovation["completed"] > max(points["completed"], rand["completed"])
    # the motivators matter, not only the budget
    assert ovation["acceptance"] > res["points+budget"]["acceptance"]
    assert ovation["ece"] < 0.15


def test_simulation_is_reproducible(sim):
    assert sim.simulate(200, 6, seed=3) == sim.simulate(200, 6, seed=3)
