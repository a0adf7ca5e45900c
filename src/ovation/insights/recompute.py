"""`ovation recompute` for insights: rebuild every rollup the dashboard reads from the other
modules' rows (safe to repeat; runs after pulse so stages are current)."""

from . import rollups


def run(progress=None) -> dict:
    say = progress or (lambda line: None)
    snapshots = rollups.arr_snapshot_take()
    say(f"ARR snapshot: {snapshots} accounts")
    facts = rollups.facts_refresh(progress=say)
    cells = rollups.cells_rebuild(progress=say)
    return {"accounts": facts, "cells": cells, "arr_snapshots": snapshots}
