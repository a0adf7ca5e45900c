from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "ovation.directory"
    label = "directory"
