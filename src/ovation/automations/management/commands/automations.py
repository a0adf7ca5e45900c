import os
import time

from django.core.management.base import BaseCommand, CommandError

from ovation.automations import services, webhooks


class Command(BaseCommand):
    help = (
        "Automations upkeep. dispatch-pending: events never dispatched; run-due: delayed runs "
        "and webhook retries that are due; tick: all periodic work once (schedules, due runs, "
        "retries, pending events; for cron, every minute); scheduler: tick every --interval "
        "seconds, forever."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["dispatch-pending", "run-due", "tick", "scheduler"])
        parser.add_argument("--interval", type=int, default=60)
        parser.add_argument(
            "--parent",
            type=int,
            default=0,
            help="scheduler: stop when the process with this PID is no longer our parent",
        )

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "dispatch-pending":
            n = services.events_dispatch_pending()
            self.stdout.write(f"{n} pending events enqueued for dispatch")
        elif action == "run-due":
            runs = services.runs_execute_due()
            deliveries = webhooks.deliveries_run_due()
            self.stdout.write(f"{runs} delayed runs executed, {deliveries} deliveries enqueued")
        elif action == "tick":
            self.stdout.write(self._summary(services.automations_tick()))
        else:
            if opts["interval"] < 1:
                raise CommandError("--interval must be at least 1 second")
            self.stdout.write(f"automations scheduler: every {opts['interval']} s (Ctrl-C stops)")
            parent = opts["parent"] or os.getppid()
            try:
                while True:
                    if os.getppid() != parent:
                        return
                    self.stdout.write(self._summary(services.automations_tick()))
                    # Sleep in short steps and stop when the worker that started us is gone
                    # (even after a kill -9), so no orphan keeps running.
                    for _ in range(opts["interval"]):
                        if os.getppid() != parent:
                            return
                        time.sleep(1)
            except KeyboardInterrupt:
                return

    @staticmethod
    def _summary(result: dict) -> str:
        return ", ".join(f"{k}: {v}" for k, v in result.items())
