from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "ovation.users"
    label = "users"
