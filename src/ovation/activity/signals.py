"""Infrastructure signal: a DomainEvent row committed. Receivers (automations, webhooks) must
only enqueue work keyed by the event id, so that a retry cannot fire anything twice."""

from django.dispatch import Signal

event_committed = Signal()  # sender=DomainEvent, event=DomainEvent
