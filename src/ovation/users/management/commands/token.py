from django.core.management.base import BaseCommand, CommandError

from ovation.core.errors import ServiceError
from ovation.users.models import ApiToken, User
from ovation.users.services import api_token_create


class Command(BaseCommand):
    help = "API tokens: `token create EMAIL [--scope read|write]` prints a new token once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("email")
        create.add_argument("--scope", default="read", choices=ApiToken.Scope.values)
        create.add_argument("--name", default="")

    def handle(self, *args, **opts):
        user = User.objects.filter(email__iexact=opts["email"]).first()
        if user is None:
            raise CommandError(f"email: no user {opts['email']}")
        try:
            _, raw = api_token_create(user=user, scope=opts["scope"], name=opts["name"])
        except ServiceError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(raw)
