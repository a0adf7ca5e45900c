"""Background tasks (Django's task framework). Each takes ids, calls one service and is safe
to retry: the services claim their rows and key every side effect."""

from django_tasks import task


@task()
def event_dispatch_task(event_id: int) -> dict:
    from .services import event_dispatch

    return event_dispatch(event_id=event_id)


@task()
def rule_run_task(run_id: int) -> str:
    from .services import run_execute

    return run_execute(run_id=run_id)


@task()
def webhook_deliver_task(delivery_id: int) -> str:
    from .webhooks import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id)


@task()
def email_deliver_task(message_id: int) -> str:
    from .email import email_deliver

    return email_deliver(message_id=message_id)


@task()
def automations_tick_task() -> dict:
    from .services import automations_tick

    return automations_tick()


@task()
def events_dispatch_pending_task() -> int:
    from .services import events_dispatch_pending

    return events_dispatch_pending()
