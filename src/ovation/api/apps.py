from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ovation.api"
    label = "api"
