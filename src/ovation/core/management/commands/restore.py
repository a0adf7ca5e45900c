import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from .backup import _pg_args, _pg_env


class Command(BaseCommand):
    help = "Restore the database from a FILE written by `ovation backup` (replaces current data)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, **opts):
        source_path = Path(opts["file"]).resolve()
        if not source_path.is_file():
            raise CommandError(f"no backup file at {source_path}")
        if not opts["yes"] and opts.get("interactive", True):
            import sys

            if sys.stdin is not None and sys.stdin.isatty():
                answer = input(f"Replace the current database with {source_path}? [y/N] ")
                if answer.strip().lower() != "y":
                    raise CommandError("restore cancelled")
        db = settings.DATABASES["default"]
        if connection.vendor == "sqlite":
            try:
                check = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
                check.execute("SELECT count(*) FROM django_migrations")
                check.close()
            except sqlite3.Error as exc:
                raise CommandError(f"{source_path} is not an Ovation SQLite backup: {exc}") from exc
            connections.close_all()
            source = sqlite3.connect(str(source_path))
            dest = sqlite3.connect(str(db["NAME"]), timeout=30)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        elif connection.vendor == "postgresql":
            if not shutil.which("pg_restore"):
                raise CommandError(
                    "pg_restore is not installed (install the PostgreSQL client tools)"
                )
            connections.close_all()
            cmd = [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *_pg_args(db),
                "-d",
                db["NAME"],
                str(source_path),
            ]
            result = subprocess.run(cmd, env=_pg_env(db), capture_output=True, text=True)  # noqa: S603
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()[:2000]}")
        else:
            raise CommandError(f"restores of {connection.vendor} databases are not supported")
        self.stdout.write(f"restored from {source_path}")
