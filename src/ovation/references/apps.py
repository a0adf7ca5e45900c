from django.apps import AppConfig


class ReferencesConfig(AppConfig):
    name = "ovation.references"
    label = "references"

    def ready(self):
        # Infrastructure only: directory edits invalidate the matching pool's cached columns.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from ovation.directory.models import Account, Consent, Contact

        from .budget import DIRECTORY_VERSION_KEY, bump_version

        def changed(sender, **kwargs):
            bump_version(DIRECTORY_VERSION_KEY)

        for model in (Contact, Account, Consent):
            post_save.connect(
                changed, sender=model, dispatch_uid=f"references-{model.__name__}", weak=False
            )
            post_delete.connect(
                changed, sender=model, dispatch_uid=f"references-d-{model.__name__}", weak=False
            )
        from .budget import ASKS_VERSION_KEY
        from .models import FatiguePolicy, MatchSettings

        def config_changed(sender, **kwargs):
            bump_version(ASKS_VERSION_KEY)

        for model in (FatiguePolicy, MatchSettings):
            post_save.connect(
                config_changed,
                sender=model,
                dispatch_uid=f"references-{model.__name__}",
                weak=False,
            )
        m2m_changed.connect(
            changed, sender=Account.products.through, dispatch_uid="references-products", weak=False
        )
