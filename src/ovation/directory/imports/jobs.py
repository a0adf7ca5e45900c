"""Services behind the staff import wizard: an ImportJob goes uploaded -> (mapping, preview)
-> queued -> running -> done/failed. The run happens in a task (`directory.tasks`), enqueued
after commit; it is idempotent, so a job whose worker died can be run again."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ovation.core.errors import ServiceError

from ..import_models import ImportJob
from .base import (
    GENERIC,
    ImportResult,
    ImportSetupError,
    error_csv_lines,
    load_importer,
    open_csv,
    resolve_mapping,
    run_import,
)

MAX_UPLOAD_BYTES = getattr(settings, "OVATION_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
ALLOWED_EXTENSIONS = (".csv", ".txt", ".tsv")
PREVIEW_ROWS = 20
ERRORS_PREVIEW = 50


def _read_job_file(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


@transaction.atomic
def import_job_create(*, upload: UploadedFile, kind: str, preset: str, actor) -> ImportJob:
    """Check an uploaded CSV (size, type, readable, header) and keep it as a new job."""
    try:
        importer = load_importer(kind)
    except ImportSetupError as exc:
        raise ServiceError(str(exc), field="kind") from exc
    name = os.path.basename(upload.name or "upload.csv")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ServiceError(
            f"{name} is {upload.size / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1_000_000} MB."
            " Split the file, or use `ovation import` on the server.",
            field="file",
        )
    if not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise ServiceError(
            f"{name} is not a CSV file. Export or save it as CSV (UTF-8) and upload that.",
            field="file",
        )
    data = upload.read()
    try:
        csv_file = open_csv(data)
        total_rows = sum(1 for _ in csv_file.records)
    except ImportSetupError as exc:
        raise ServiceError(f"{name}: {exc}", field="file") from exc
    if total_rows == 0:
        raise ServiceError(f"{name} has a header but no data rows.", field="file")
    if preset not in importer.presets and preset != GENERIC:
        preset = GENERIC
    job = ImportJob(
        kind=kind,
        preset=preset,
        original_name=name[:255],
        size=len(data),
        headers=csv_file.headers,
        mapping=importer.suggest_mapping(csv_file.headers, preset),
        total_rows=total_rows,
        total_lines=csv_file.total_lines,
        message=csv_file.warning or "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    job.file.save(f"{timezone.now():%Y%m%d%H%M%S}-{kind}.csv", ContentFile(data), save=False)
    job.save()
    return job


@dataclass
class MappingRow:
    column: str
    field: str
    samples: list[str]


def import_job_mapping_rows(*, job: ImportJob, samples: int = 3) -> list[MappingRow]:
    """Each source column with its current target field and a few sample values."""
    csv_file = open_csv(_read_job_file(job))
    values: list[list[str]] = [[] for _ in csv_file.headers]
    for _, record in csv_file.records:
        for i, cell in enumerate(record[: len(values)]):
            if cell.strip() and len(values[i]) < samples:
                values[i].append(cell.strip()[:60])
        if all(len(v) >= samples for v in values):
            break
    return [
        MappingRow(column, job.mapping.get(column, ""), values[i])
        for i, column in enumerate(csv_file.headers)
    ]


@transaction.atomic
def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Save the user's column mapping, refusing unknown fields, doubles, missing required."""
    if job.status != ImportJob.Status.UPLOADED:
        raise ServiceError("this import has already started", field="mapping")
    importer = load_importer(job.kind)
    cleaned = {column: mapping.get(column, "") for column in job.headers}
    try:
        job.mapping = resolve_mapping(importer, job.headers, mapping=cleaned)
    except ImportSetupError as exc:
        raise ServiceError(
            str(exc).replace("; add --map COLUMN=", "; map a column to "), field="mapping"
        ) from exc
    job.save(update_fields=["mapping"])
    return job


@dataclass
class PreviewRow:
    number: int
    cells: list[tuple[str, str, bool]]  # (column, value, has a problem)
    messages: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.messages)


@dataclass
class Preview:
    columns: list[str]
    fields: list[str]
    rows: list[PreviewRow]
    result: ImportResult


def import_job_preview(*, job: ImportJob, limit: int = PREVIEW_ROWS) -> Preview:
    """The first rows, validated through the real write path in a rolled-back transaction,
    with each problem attached to its row and, when the field has a column, its cell."""
    importer = load_importer(job.kind)
    data = _read_job_file(job)
    result = run_import(importer, data, mapping=job.mapping, dry_run=True, limit=limit)
    mapped = [c for c in job.headers if job.mapping.get(c)]
    column_of = {job.mapping[c]: c for c in mapped}
    by_row: dict[int, list] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error)
    csv_file = open_csv(data)
    index = {h: i for i, h in enumerate(csv_file.headers)}
    rows = []
    for number, record in csv_file.records:
        errors = by_row.get(number, [])
        bad_columns = {column_of.get(e.field) for e in errors}
        cells = [
            (c, record[index[c]] if index[c] < len(record) else "", c in bad_columns)
            for c in mapped
        ]
        rows.append(PreviewRow(number, cells, [f"{e.field}: {e.message}" for e in errors]))
        if len(rows) >= limit:
            break
    return Preview(mapped, [job.mapping[c] for c in mapped], rows, result)


def import_job_start(*, job: ImportJob, is_atomic: bool) -> ImportJob:
    """Queue the run; the task is enqueued only once this transaction commits."""
    from ..tasks import import_job_run

    with transaction.atomic():
        updated = ImportJob.objects.filter(
            pk=job.pk, status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.FAILED]
        ).update(status=ImportJob.Status.QUEUED, is_atomic=is_atomic)
        if not updated:
            raise ServiceError("this import is already queued or done", field="status")
        transaction.on_commit(lambda: import_job_run.enqueue(job.pk))
    job.refresh_from_db()
    return job


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued job (called by the task). Re-running a finished job does nothing."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_lines=0
    )

    def progress(done: int, total: int, result: ImportResult) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_lines=done,
            total_lines=total,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
        )

    try:
        importer = load_importer(job.kind)
        result = run_import(
            importer,
            _read_job_file(job),
            mapping=job.mapping,
            atomic=job.is_atomic,
            progress=progress,
            actor=job.created_by,
            origin="ui",
        )
    except ImportSetupError as exc:
        job.refresh_from_db()
        job.status = ImportJob.Status.FAILED
        job.message = str(exc)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        return job
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            message=f"the import stopped unexpectedly ({exc.__class__.__name__}); "
            "it is safe to run it again",
            finished_at=timezone.now(),
        )
        raise
    job.refresh_from_db()
    _save_result(job, result)
    return job


def _save_result(job: ImportJob, result: ImportResult) -> None:
    job.status = ImportJob.Status.DONE
    job.rows = result.rows
    job.created, job.updated, job.unchanged = result.created, result.updated, result.unchanged
    job.rejected = result.rejected
    job.is_written = result.written
    job.processed_lines = job.total_lines
    job.finished_at = timezone.now()
    job.message = "\n".join(result.warnings)
    job.errors_preview = [[e.row, e.field, e.message] for e in result.errors[:ERRORS_PREVIEW]]
    fields = [
        "status", "rows", "created", "updated", "unchanged", "rejected", "is_written",
        "processed_lines", "finished_at", "message", "errors_preview",
    ]  # fmt: skip
    if result.errors:
        content = "".join(error_csv_lines(result.errors, result.headers))
        job.error_file.save(
            f"errors-{job.pk}.csv", ContentFile(content.encode("utf-8")), save=False
        )
        fields.append("error_file")
    job.save(update_fields=fields)


def import_job_kinds() -> list[dict[str, Any]]:
    """Kinds available in this installation, with their presets, for the upload form."""
    from .base import available_importers

    return [
        {
            "kind": kind,
            "label": imp.label,
            "description": imp.description,
            "presets": imp.preset_names,
        }
        for kind, imp in available_importers().items()
    ]
