from django import template

from ..times import event_times

register = template.Library()

STATUS_CLASS = {
    "active": "ok",
    "shipped": "ok",
    "yes": "ok",
    "waitlisted": "warn",
    "applied": "warn",
    "nominated": "warn",
    "maybe": "warn",
    "under_review": "warn",
    "planned": "info",
    "in_progress": "info",
    "declined": "bad",
    "left": "",
    "no": "bad",
    "new": "",
}


@register.simple_tag
def event_when(event, viewer_zone=None):
    """EventTimes of `event` for a viewer in `viewer_zone` (None: the event's zone)."""
    return event_times(event.starts_at, event.ends_at, event.timezone, viewer_zone or None)


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "")


@register.filter
def first_or_none(items):
    return items[0] if items else None


PROGRAM_ICONS = {
    "cab": "★",
    "user_group": "◎",
    "council": "◆",
    "beta": "β",
    "champions": "♛",
    "custom": "✱",
}


@register.filter
def program_icon(kind: str) -> str:
    return PROGRAM_ICONS.get(kind, "✱")


@register.filter
def idea_status(value: str) -> str:
    from ..models import Idea

    return dict(Idea.Status.choices).get(value, value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
