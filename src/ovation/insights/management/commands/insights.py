"""`ovation insights digest|refresh|snapshot`.

- digest: queue this week's executive digest (cron: `0 7 * * 1 ovation insights digest`);
  `--now` sends in this process instead of the task queue.
- refresh: fold new NPS answers, referral clicks and activities into the rollups and rewrite
  the account facts (cron: every 15 minutes, `*/15 * * * * ovation insights refresh`).
- snapshot: record this month's ARR per account (cron: monthly, `0 1 1 * *`)."""

from django.core.management.base import BaseCommand

from ovation.insights import rollups


class Command(BaseCommand):
    help = "Insights upkeep: digest (weekly email), refresh (rollups), snapshot (ARR history)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["digest", "refresh", "snapshot"])
        parser.add_argument("--now", action="store_true", help="digest: send without the queue")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "digest":
            if opts["now"]:
                from ovation.insights.digest import digest_send

                self.stdout.write(str(digest_send()))
            else:
                from ovation.insights.tasks import digest_send_task

                digest_send_task.enqueue()
                self.stdout.write("weekly digest queued")
        elif action == "refresh":
            from ovation.insights.tasks import insights_refresh_task

            self.stdout.write(f"rollups refreshed: {insights_refresh_task.call()}")
        else:
            self.stdout.write(f"ARR snapshot: {rollups.arr_snapshot_take()} accounts")
