from django.apps import AppConfig


class ReferencesConfig(AppConfig):
    name = "ovation.references"
    label = "references"
