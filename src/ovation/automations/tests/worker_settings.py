"""Settings for a real worker subprocess in tests: the database task backend (test settings
force the immediate one) and the test run's own database."""

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]
OVATION_WEBHOOKS_ALLOW_PRIVATE = True
OVATION_WEBHOOK_LEASE_SECONDS = 2
