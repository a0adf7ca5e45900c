"""Shared set-up for benchmark scripts: a throw-away var/ directory with its own SQLite
database (or DATABASE_URL when given), Django configured, migrations applied."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(*, migrate: bool = True) -> Path:
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    var = Path(tempfile.mkdtemp(prefix="ovation-bench-"))
    os.environ["OVATION_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return var


def result(
    metric: str, ovation: float, baseline: float, ratio: float, target: str, passed: bool
) -> None:
    print(
        f"RESULT metric={metric} ovation={ovation:.4g} baseline={baseline:.4g} ratio={ratio:.3g} "
        f"target={target} pass={'true' if passed else 'false'}",
        flush=True,
    )
