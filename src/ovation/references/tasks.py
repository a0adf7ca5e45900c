"""Background work: emails after commit, and SLA reminders (enqueue `send_reminders` daily)."""

from django_tasks import task

from . import services


@task()
def invite_send(assignment_id: int) -> None:
    services.invite_send(assignment_id)


@task()
def thanks_send(assignment_id: int) -> None:
    services.thanks_send(assignment_id)


@task()
def requester_notify(assignment_id: int, what: str) -> None:
    services.requester_notify(assignment_id, what)


@task()
def send_reminders() -> dict:
    return services.reminders_send()
