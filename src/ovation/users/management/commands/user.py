import getpass

from django.core.management.base import BaseCommand, CommandError

from ovation.core.errors import ServiceError
from ovation.users.models import User
from ovation.users.services import user_create


class Command(BaseCommand):
    help = "Manage staff accounts: `user create EMAIL --role admin|manager|sales|csm|executive`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a staff account")
        create.add_argument("email")
        create.add_argument(
            "--role", required=True, choices=[r for r in User.Role.values if r != "advocate"]
        )
        create.add_argument("--name", default="")
        create.add_argument(
            "--password", default=None, help="omit to be prompted (or none: login by code only)"
        )

    def handle(self, *args, **opts):
        password = opts["password"]
        if password is None and opts.get("interactive", True) and self.stdin_is_tty():
            password = getpass.getpass("Password (empty for none): ") or None
        try:
            user = user_create(
                email=opts["email"], role=opts["role"], password=password, full_name=opts["name"]
            )
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(f"created {user.email} ({user.get_role_display()})")

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin is not None and sys.stdin.isatty()
