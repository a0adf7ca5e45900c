from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (Django's task framework): the database worker, or RQ on Redis."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="drain the queue, then exit")

    def handle(self, *args, **opts):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_rq"):
            call_command("rqworker", "default", with_scheduler=True, burst=opts["batch"])
            return
        args = ["--no-reload"]
        if opts["batch"]:
            args += ["--batch", "--no-startup-delay"]
        call_command("db_worker", *args)
