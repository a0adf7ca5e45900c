from django.apps import AppConfig

# Domain events after which a contact's motivation profile is refreshed (the refresh re-reads
# every source, so a missed or repeated event changes nothing; `ovation recompute` rebuilds all).
PROFILE_EVENTS = {
    "challenge.completed",
    "reference.accepted",
    "reference.declined",
    "reference.completed",
    "event.attended",
    "event.rsvp",
    "program.joined",
    "hub.motivations_updated",
    "ask.responded",
}


class MotivationConfig(AppConfig):
    name = "ovation.motivation"
    label = "motivation"

    def ready(self):
        from ovation.activity.signals import event_committed

        def on_event(sender, event, **kwargs):
            # Infrastructure only: enqueue the refresh keyed by the contact.
            if event.type in PROFILE_EVENTS and event.contact_id:
                from .tasks import profile_refresh_task

                profile_refresh_task.enqueue(contact_id=event.contact_id)

        event_committed.connect(on_event, dispatch_uid="motivation-profile-refresh", weak=False)
