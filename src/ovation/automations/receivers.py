"""The one receiver of committed domain events: enqueue a single dispatch task per event."""

from django.db import transaction


def on_event_committed(sender, event, **kwargs) -> None:
    from .tasks import event_dispatch_task

    event_id = event.pk
    transaction.on_commit(lambda: event_dispatch_task.enqueue(event_id=event_id))
