from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "ovation.automations"
    label = "automations"
    verbose_name = "Automations"

    def ready(self):
        from ovation.activity.signals import event_committed

        from .receivers import on_event_committed

        event_committed.connect(on_event_committed, dispatch_uid="automations.event_committed")
