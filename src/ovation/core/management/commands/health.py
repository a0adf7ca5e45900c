"""`ovation health`: database, migrations and task worker, one human-readable line each.

Exit status 0 when healthy, 1 otherwise (for cron, systemd and container health checks)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone


class Command(BaseCommand):
    help = "Check the database, pending migrations and the task worker; exit 1 when unhealthy."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-wait",
            type=int,
            default=10,
            help="minutes a due task may wait before the worker counts as stalled (default 10)",
        )

    def handle(self, *args, **opts):
        checks = [self._database, self._migrations, lambda: self._worker(opts["max_wait"])]
        healthy = True
        for check in checks:
            ok, line = check()
            healthy &= ok
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(style(f"{'ok  ' if ok else 'FAIL'} {line}"))
            if check is checks[0] and not ok:
                break  # nothing else can be checked without a database
        self.stdout.write("healthy" if healthy else "UNHEALTHY")
        if not healthy:
            raise SystemExit(1)

    def _database(self) -> tuple[bool, str]:
        vendor = connection.vendor
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            return False, f"database ({vendor}): unreachable: {exc}"
        return True, f"database ({vendor}): reachable"

    def _migrations(self) -> tuple[bool, str]:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
            more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
            return False, f"migrations: {len(plan)} pending ({names}{more}); run `ovation migrate`"
        return True, "migrations: none pending"

    def _worker(self, max_wait: int) -> tuple[bool, str]:
        backend = settings.TASKS["default"]["BACKEND"]
        if not backend.startswith("django_tasks_db"):
            name = backend.rsplit(".", 1)[-1]
            return True, f"worker: not checked ({name} backend has no database queue)"
        from django.db.models import Count, Q
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        cutoff = timezone.now() - timedelta(minutes=max_wait)
        try:
            counts = dict(
                DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by()
            )
            stalled = (
                DBTaskResult.objects.filter(status=TaskResultStatus.READY, enqueued_at__lt=cutoff)
                .filter(Q(run_after=get_date_max()) | Q(run_after__lt=cutoff))
                .count()
            )
        except DatabaseError as exc:
            return False, f"worker: task table unreadable: {exc}"
        summary = ", ".join(
            f"{counts.get(s, 0)} {s.lower()}" for s in ("READY", "RUNNING", "FAILED", "SUCCESSFUL")
        )
        if stalled:
            return False, (
                f"worker: {stalled} task(s) waiting more than {max_wait} min; is `ovation worker`"
                f" running? ({summary})"
            )
        return True, f"worker: keeping up ({summary})"
