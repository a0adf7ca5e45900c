"""Background tasks of the directory: running an import job from the staff wizard."""

from django_tasks import task


@task()
def import_job_run(job_id: int) -> None:
    """Run one import job; safe to retry (upserts are idempotent, a done job is skipped)."""
    from .imports.jobs import import_job_execute

    import_job_execute(job_id=job_id)
