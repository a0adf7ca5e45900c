from django.apps import AppConfig


class PulseConfig(AppConfig):
    name = "ovation.pulse"
    label = "pulse"
    verbose_name = "Pulse (NPS and advocacy)"

    def ready(self):
        from ovation.activity.signals import event_committed

        from .receivers import on_event_committed

        event_committed.connect(on_event_committed, dispatch_uid="pulse.stage_refresh")
