from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "ovation.rewards"
    label = "rewards"
