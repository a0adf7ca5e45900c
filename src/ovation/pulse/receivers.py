"""Infrastructure glue: when an activity that can change a stage is committed, recompute
that contact's stage in a task (keyed by contact id, so a retry is harmless)."""

from .models import DEFAULT_ADVOCACY_KINDS

NPS_ANSWERED = "nps.answered"


def _relevant_kinds() -> set[str]:
    from .services import advocate_definition_current

    return {NPS_ANSWERED, *advocate_definition_current().advocacy_kinds}


def on_event_committed(sender, event, **kwargs):
    contact_id = event.contact_id or (event.data or {}).get("contact_id")
    if not contact_id:
        return
    if event.type != NPS_ANSWERED and event.type not in DEFAULT_ADVOCACY_KINDS:
        # Cheap filter first; custom kinds need the definition.
        if "." not in event.type or event.type.startswith(("contact.", "hub.", "email.")):
            return
        if event.type not in _relevant_kinds():
            return
    from .tasks import contact_stage_sync_task

    contact_stage_sync_task.enqueue(contact_id=contact_id)
