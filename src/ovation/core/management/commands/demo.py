import importlib

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from rich.progress import Progress

from ovation.core.demokit import DemoContext

SCALES = {"small": 1, "large": 100}


class Command(BaseCommand):
    help = "Load the demo company (Acme Analytics). Each app adds its own data (its demo.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", default="small", help="small, large (>=100k contacts) or a multiplier N"
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--reset", action="store_true", help="delete the existing demo data first"
        )

    def handle(self, *args, **opts):
        scale = opts["scale"]
        try:
            factor = SCALES[scale] if scale in SCALES else int(scale)
        except ValueError as exc:
            raise CommandError("--scale must be small, large or a whole number") from exc
        modules = []
        for app in settings.OVATION_APPS:
            try:
                modules.append(importlib.import_module(f"{app}.demo"))
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
        ctx = DemoContext(seed=opts["seed"], factor=factor, stdout=self.stdout)
        if opts["reset"]:
            for module in reversed(modules):
                if hasattr(module, "reset"):
                    with transaction.atomic():
                        module.reset(ctx)
        # The demo's own background work (stage syncs, level checks, automations on its events,
        # the emails they would send) runs inline and quietly: no backlog of thousands of tasks
        # for the worker to chew through (and print) after `make run` starts serving.
        quiet = override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        with quiet, Progress(transient=False) as progress:
            ctx.progress = progress
            for module in modules:
                name = module.__name__.split(".")[1]
                if (
                    hasattr(module, "already_loaded")
                    and module.already_loaded(ctx)
                    and not opts["reset"]
                ):
                    self.stdout.write(f"{name}: already loaded, skipped")
                    ctx.load_existing(module)
                    continue
                module.load(ctx)
            # Stages and rollups depend on every module's history: compute them once all is in.
            call_command("recompute", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo company loaded."))
        for line in ctx.logins:
            self.stdout.write(line)
