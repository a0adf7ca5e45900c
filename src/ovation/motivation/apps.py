from django.apps import AppConfig


class MotivationConfig(AppConfig):
    name = "ovation.motivation"
    label = "motivation"
