from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "ovation.insights"
    label = "insights"
    verbose_name = "Insights (executive dashboard)"

    def ready(self):
        from ovation.activity.signals import event_committed

        from .receivers import on_event_committed

        event_committed.connect(on_event_committed, dispatch_uid="insights.rollups")
