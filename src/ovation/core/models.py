from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base: creation and last-update times, both timezone-aware."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
