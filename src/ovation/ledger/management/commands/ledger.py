from django.core.management.base import BaseCommand, CommandError

from ovation.core.errors import ServiceError
from ovation.ledger.services import ledger_expire, ledger_reconcile


class Command(BaseCommand):
    help = (
        "`ledger reconcile`: check every cached balance against the sum of its entries (exit 1 "
        "on a mismatch). `ledger expire [--months N] [--dry-run]`: expire spendable points "
        "older than N months (default: OVATION_POINTS_EXPIRE_MONTHS); lifetime points never move."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reconcile", "expire"])
        parser.add_argument("--months", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **opts):
        if opts["action"] == "expire":
            return self._expire(opts)
        mismatches = ledger_reconcile()
        for contact_id, cached, summed in mismatches:
            self.stdout.write(f"contact {contact_id}: cached {cached} != ledger {summed}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} balance(s) disagree with the ledger")
        self.stdout.write("all balances agree with the ledger")

    def _expire(self, opts):
        from django.conf import settings

        if not (opts["months"] or getattr(settings, "OVATION_POINTS_EXPIRE_MONTHS", None)):
            self.stdout.write(
                "points never expire: set OVATION_POINTS_EXPIRE_MONTHS or pass --months N"
            )
            return
        try:
            expired = ledger_expire(months=opts["months"], dry_run=opts["dry_run"])
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        verb = "would expire" if opts["dry_run"] else "expired"
        for contact_id, points in sorted(expired.items()):
            self.stdout.write(f"contact {contact_id}: {verb} {points} points")
        total = sum(expired.values())
        self.stdout.write(f"{verb} {total} points for {len(expired)} contact(s)")
