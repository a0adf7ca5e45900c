"""`ovation recompute`: rebuild every motivation profile, the population prior (empirical
Bayes) and the outcomes of pending predictions from every module's records."""

from .services import profiles_rebuild


def run(progress=None) -> dict:
    return profiles_rebuild(progress=progress)
