import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run background tasks (Django's task framework: the database worker, or RQ on Redis) and the "
        "automations scheduler (schedules, date rules, retries, crash sweeps) beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="drain the queue, then exit")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="do not start the periodic scheduler"
        )

    def handle(self, *args, **opts):
        scheduler = None
        if not opts["batch"] and not opts["no_scheduler"]:
            # A separate process: the scheduler only enqueues work, so several workers may each run one.
            # It is told our PID: it stops as soon as we are gone, even after a kill -9 that
            # lands before it has started.
            scheduler = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable, "-m", "ovation.cli", "automations", "scheduler",
                    "--parent", str(os.getpid()),
                ]
            )  # fmt: skip
        try:
            backend = settings.TASKS["default"]["BACKEND"]
            if backend.startswith("django_tasks_rq"):
                call_command("rqworker", "default", with_scheduler=True, burst=opts["batch"])
                return
            args = ["--no-reload"]
            if opts["batch"]:
                args += ["--batch", "--no-startup-delay"]
            call_command("db_worker", *args)
        finally:
            if scheduler is not None:
                scheduler.terminate()
                scheduler.wait(timeout=15)
