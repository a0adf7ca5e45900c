from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender, **kwargs):
    # The default cache is a database table (no Redis needed); make sure it exists after every
    # migrate, so a fresh install, the demo and the tests never meet "no such table".
    from django.conf import settings
    from django.core.management import call_command

    if any(c["BACKEND"].endswith("DatabaseCache") for c in settings.CACHES.values()):
        call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class CoreConfig(AppConfig):
    name = "ovation.core"
    label = "core"

    def ready(self):
        post_migrate.connect(
            _create_cache_table, sender=self, dispatch_uid="ovation-create-cache-table"
        )
