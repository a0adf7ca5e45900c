from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "ovation.automations"
    label = "automations"
