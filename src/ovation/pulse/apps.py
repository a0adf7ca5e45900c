from django.apps import AppConfig


class PulseConfig(AppConfig):
    name = "ovation.pulse"
    label = "pulse"
