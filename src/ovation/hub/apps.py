from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "ovation.hub"
    label = "hub"
