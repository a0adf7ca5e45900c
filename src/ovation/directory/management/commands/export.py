"""`ovation export KIND [-o FILE]`: CSV of a kind, in the columns `ovation import` reads with
the generic preset (so export then import changes nothing). Streams: 100k rows are fine."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from ovation.directory.imports.base import ImportSetupError, export_lines, load_importer


class Command(BaseCommand):
    help = "Write a CSV of KIND (accounts, contacts, activities...) to FILE or standard output."

    def add_arguments(self, parser):
        parser.add_argument("kind")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, kind, output, **options):
        try:
            importer = load_importer(kind)
            lines = export_lines(importer)
            header = next(lines)
        except ImportSetupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        count = 0
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(header)
                for line in lines:
                    handle.write(line)
                    count += 1
            self.stderr.write(f"{count} {kind} written to {output}")
        else:
            try:
                self.stdout.write(header, ending="")
                for line in lines:
                    self.stdout.write(line, ending="")
                self.stdout.flush()
            except BrokenPipeError:
                # `ovation export contacts | head`: the reader left; stop quietly.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                lines.close()
