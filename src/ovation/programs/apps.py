from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "ovation.programs"
    label = "programs"
