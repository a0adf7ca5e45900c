from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ovation.core.privacy import gdpr_erase, gdpr_export_zip
from ovation.directory.models import Contact
from ovation.users.audit import audit_record


def _contact(email: str):
    contact = (
        Contact.objects.filter(email__iexact=email.strip())
        .select_related("account", "user")
        .first()
    )
    if contact is None:
        raise CommandError(f"email: no contact with email {email}")
    return contact


class Command(BaseCommand):
    help = "`gdpr export EMAIL -o FILE` (zip of JSON + CSV) or `gdpr erase EMAIL` (anonymise everywhere)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export")
        export.add_argument("email")
        export.add_argument("-o", "--output", required=True)
        erase = sub.add_parser("erase")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true")

    def handle(self, *args, **opts):
        contact = _contact(opts["email"])
        if opts["action"] == "export":
            path = Path(opts["output"])
            path.write_bytes(gdpr_export_zip(contact=contact))
            audit_record(action="gdpr.exported", target=contact, data={"via": "cli"})
            self.stdout.write(f"wrote {path}")
            return
        gdpr_erase(contact=contact)
        self.stdout.write(f"erased contact {contact.pk}")
