import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate if needed, collect static files and serve with gunicorn, plus one task worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start a background task worker"
        )

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not opts["no_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "ovation.cli", "worker"])  # noqa: S603
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{opts['host']}:{opts['port']}",
            "--workers",
            str(opts["workers"]),
            "--access-logfile",
            "-" if settings.DEBUG else "/dev/null",
            "--graceful-timeout",
            "10",
        ]
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/")
        web = subprocess.Popen(cmd)  # noqa: S603
        try:
            web.wait()
        except KeyboardInterrupt:
            web.send_signal(signal.SIGTERM)
            web.wait()
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=15)
