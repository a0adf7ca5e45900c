from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "ovation.hub"
    label = "hub"

    def ready(self):
        from ovation.activity.signals import event_committed

        from .receivers import on_event_committed

        event_committed.connect(on_event_committed, dispatch_uid="hub.badges_evaluate")
