from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "ovation.stories"
    label = "stories"
