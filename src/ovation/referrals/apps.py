from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "ovation.referrals"
    label = "referrals"
