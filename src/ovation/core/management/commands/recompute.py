"""`ovation recompute`: rebuild what Ovation derives (advocacy stages, rollups, snapshots).

Each app that derives something has a `recompute` module with `run(progress=None) -> dict`;
they run in settings.OVATION_APPS order (so later modules see earlier results). `progress` is a
callable taking one line of text. Every `run` must be safe to repeat."""

import importlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def recompute_modules() -> list:
    modules = []
    for app in settings.OVATION_APPS:
        name = f"{app}.recompute"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


class Command(BaseCommand):
    help = "Recompute advocacy stages and rollups (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", default=[], help="app label(s) to run, e.g. --only pulse"
        )

    def handle(self, *args, **opts):
        modules = recompute_modules()
        if opts["only"]:
            wanted = set(opts["only"])
            unknown = wanted - {m.__name__.split(".")[1] for m in modules}
            if unknown:
                raise CommandError(f"--only: nothing to recompute in {', '.join(sorted(unknown))}")
            modules = [m for m in modules if m.__name__.split(".")[1] in wanted]
        if not modules:
            self.stdout.write("Nothing to recompute: no app has a recompute module.")
            return
        for module in modules:
            app = module.__name__.split(".")[1]
            started = time.monotonic()
            self.stdout.write(f"{app}: recomputing…")
            result = module.run(progress=lambda line: self.stdout.write(f"  {line}"))
            elapsed = time.monotonic() - started
            details = ""
            if isinstance(result, dict) and result:
                details = ": " + ", ".join(
                    f"{k}={v}" for k, v in result.items() if not str(k).startswith("_")
                )
            elif result is not None:
                details = f": {result}"
            self.stdout.write(self.style.SUCCESS(f"{app}: done in {elapsed:.1f}s{details}"))
        self.stdout.write(f"Recomputed {len(modules)} module(s).")
