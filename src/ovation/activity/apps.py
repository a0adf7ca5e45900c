from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "ovation.activity"
    label = "activity"
