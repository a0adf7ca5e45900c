from django.core.management.base import BaseCommand, CommandError

from ovation.ledger.services import ledger_reconcile


class Command(BaseCommand):
    help = "`ledger reconcile`: check every cached balance against the sum of its entries."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reconcile"])

    def handle(self, *args, **opts):
        mismatches = ledger_reconcile()
        for contact_id, cached, summed in mismatches:
            self.stdout.write(f"contact {contact_id}: cached {cached} != ledger {summed}")
        if mismatches:
            raise CommandError(f"{len(mismatches)} balance(s) disagree with the ledger")
        self.stdout.write("all balances agree with the ledger")
