import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _pg_args(db: dict) -> list[str]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return args


class Command(BaseCommand):
    help = "Consistent online backup of the database to FILE (SQLite backup API, or pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **opts):
        target = Path(opts["file"]).resolve()
        db = settings.DATABASES["default"]
        tmp = target.with_name(target.name + ".partial")
        try:
            if connection.vendor == "sqlite":
                source = sqlite3.connect(str(db["NAME"]))
                dest = sqlite3.connect(str(tmp))
                try:
                    source.backup(dest, pages=1024)
                finally:
                    dest.close()
                    source.close()
            elif connection.vendor == "postgresql":
                if not shutil.which("pg_dump"):
                    raise CommandError(
                        "pg_dump is not installed (install the PostgreSQL client tools)"
                    )
                cmd = [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "-f",
                    str(tmp),
                    *_pg_args(db),
                    db["NAME"],
                ]
                result = subprocess.run(cmd, env=_pg_env(db), capture_output=True, text=True)  # noqa: S603
                if result.returncode != 0:
                    raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
            else:
                raise CommandError(f"backups of {connection.vendor} databases are not supported")
            os.replace(tmp, target)
        except (OSError, sqlite3.Error, CommandError) as exc:
            # Leave nothing behind: the partial file and SQLite's journal of it.
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + "-journal").unlink(missing_ok=True)
            if isinstance(exc, CommandError):
                raise
            reason = "the disk is full" if _is_disk_full(exc) else str(exc)
            raise CommandError(f"backup to {target} failed: {reason}; nothing was written") from exc
        size = target.stat().st_size
        self.stdout.write(f"backup written to {target} ({size / 1_048_576:.1f} MB)")


def _is_disk_full(exc: Exception) -> bool:
    import errno

    return getattr(exc, "errno", None) == errno.ENOSPC or "full" in str(exc).lower()
