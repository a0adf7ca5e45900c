"""ImportJob: one import run from the staff wizard, kept for its progress, result and error
file (the CLI runs imports directly and keeps no job)."""

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """An uploaded CSV going through the wizard (mapping, preview) and then run by a task.

    The task records progress as it goes; upserts are idempotent, so a job whose worker died
    can simply be run again. `error_file` holds `row,field,message` plus the original columns."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    preset = models.CharField(max_length=40, default="generic")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="source column -> field")
    is_atomic = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.UPLOADED, db_index=True
    )
    total_rows = models.PositiveIntegerField(default=0, help_text="data rows in the file")
    total_lines = models.PositiveIntegerField(default=0)
    processed_lines = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0, help_text="rows processed so far")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    is_written = models.BooleanField(default=False)
    message = models.TextField(blank=True, help_text="warnings, or why the job failed")
    errors_preview = models.JSONField(default=list, blank=True, help_text="first problems")
    error_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"import {self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_lines:
            return 0
        return min(99, int(100 * self.processed_lines / self.total_lines))
