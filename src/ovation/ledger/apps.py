from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ovation.ledger"
    label = "ledger"
