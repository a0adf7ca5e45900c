from django.db import models


class Click(models.Model):
    """The same columns as ovation.referrals.ReferralClick."""

    link_id = models.BigIntegerField()
    program_id = models.BigIntegerField()
    clicked_at = models.DateTimeField()
    ip_hash = models.CharField(max_length=32)
    agent = models.CharField(max_length=8)
    referer_host = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    is_bot = models.BooleanField(default=False)
    is_duplicate = models.BooleanField(default=False)

    class Meta:
        app_label = "referral_click_baseline"
        indexes = [models.Index(fields=["link_id", "clicked_at"])]

    def __str__(self):
        return f"click {self.pk}"
