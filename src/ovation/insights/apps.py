from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "ovation.insights"
    label = "insights"
