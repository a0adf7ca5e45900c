"""`ovation import KIND FILE`: import a CSV of accounts, contacts, activities (or any kind in
settings.OVATION_IMPORTERS). Rows are numbered as a spreadsheet shows them: the header is
row 1, the first data row is row 2."""

import sys

from django.core.management.base import BaseCommand, CommandError

from ovation.directory.imports.base import (
    ImportSetupError,
    load_importer,
    parse_overrides,
    run_import,
)

PROGRESS_MIN_LINES = 5000


class Command(BaseCommand):
    help = (
        "Import a CSV file. Prints a summary (created / updated / unchanged / rejected) and one "
        "line per rejected row as 'row N: field: message' (the header is row 1, the first data "
        "row is row 2). Exit status 1 when rows were rejected, 2 when the import could not start."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="accounts, contacts, activities, nps, opportunities...")
        parser.add_argument("file", help="CSV file (UTF-8 with or without BOM; latin-1 tolerated)")
        parser.add_argument(
            "--preset",
            default="generic",
            help="column names of the source: salesforce, hubspot, delighted or generic "
            "(our own column names, as `ovation export` writes them)",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="SRC=FIELD",
            help="map source column SRC to FIELD (repeatable); SRC= ignores the column",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count only; write nothing"
        )
        parser.add_argument(
            "--atomic", action="store_true", help="write nothing if any row is rejected"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, kind, file, preset, map, dry_run, atomic, no_progress, **options):
        try:
            importer = load_importer(kind)
            overrides = parse_overrides(map)
            if preset not in importer.preset_names:
                raise ImportSetupError(
                    f"unknown preset {preset!r} for {kind}; choose from: "
                    + ", ".join(importer.preset_names)
                )
            result = self._run(importer, file, preset, overrides, dry_run, atomic, no_progress)
        except ImportSetupError as exc:
            raise CommandError(str(exc), returncode=2) from exc

        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"{importer.label}: {result.summary()}")
        for error in result.errors:
            self.stdout.write(str(error))
        if result.errors:
            sys.exit(1)

    def _run(self, importer, file, preset, overrides, dry_run, atomic, no_progress):
        kwargs = {"preset": preset, "overrides": overrides, "dry_run": dry_run, "atomic": atomic}
        if no_progress or options_quiet(self):
            return run_import(importer, file, **kwargs)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        state = {"progress": None, "task": None}
        console = Console(file=sys.stderr)

        def progress(done, total, result):
            if state["progress"] is None:
                if total < PROGRESS_MIN_LINES:
                    return
                bar = Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=console,
                    transient=True,
                )
                bar.start()
                state["progress"] = bar
                state["task"] = bar.add_task(f"Importing {importer.kind}", total=total)
            state["progress"].update(state["task"], completed=done)

        try:
            return run_import(importer, file, progress=progress, **kwargs)
        finally:
            if state["progress"] is not None:
                state["progress"].stop()


def options_quiet(command) -> bool:
    return getattr(command, "verbosity", 1) == 0
