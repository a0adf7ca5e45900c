from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ovation.core"
    label = "core"
