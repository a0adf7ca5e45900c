"""Insights: derived tables the executive dashboard reads. Nothing here is a source of truth:
every row is rebuilt from the other modules' tables by `ovation recompute` (recompute.py) and
kept current between rebuilds by tasks (tasks.py) reacting to committed domain events and by
id watermarks on the append-only tables (NPS responses, referral clicks, activities)."""

from django.db import models

from ovation.directory.models import Account


class SegmentCell(models.Model):
    """Abstract: the segment key of a rollup row. 0 means "none" (not NULL, so that the unique
    constraint holds); product 0 is the "all products" row, and an account with products is
    also counted once in each of its product rows, so a product filter reads product=<id>."""

    industry_id = models.IntegerField(default=0)
    region_id = models.IntegerField(default=0)
    csm_id = models.IntegerField(default=0)
    product_id = models.IntegerField(default=0)

    class Meta:
        abstract = True


class MonthlyCell(SegmentCell):
    """Per month per segment cell: NPS counts, referral funnel and activity volume. A dashboard
    filter (any combination of industry, region, CSM, product, date range) is a SUM over at
    most a few thousand of these rows, whatever the size of the source tables."""

    month = models.DateField()
    responses = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    passives = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    clicks = models.IntegerField(default=0)
    leads = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    referred_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    activities = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "industry_id", "region_id", "csm_id", "product_id"],
                name="insights_cell_once",
            )
        ]
        indexes = [models.Index(fields=["product_id", "month"], name="insights_cell_product")]

    def __str__(self):
        return (
            f"{self.month} i{self.industry_id} r{self.region_id} c{self.csm_id} p{self.product_id}"
        )


class AccountFact(models.Model):
    """One row per customer account: its segment, value and advocacy, flattened so the ROI
    statistics (survival, advocate value) read one narrow table instead of joining contacts,
    stages, referrals and hub profiles per request. Refreshed per account by a task keyed by
    the account id whenever an event touches one of its contacts."""

    account = models.OneToOneField(
        Account, primary_key=True, on_delete=models.CASCADE, related_name="insights_fact"
    )
    industry_id = models.IntegerField(default=0)
    region_id = models.IntegerField(default=0)
    csm_id = models.IntegerField(default=0)
    status = models.CharField(max_length=20)
    arr = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    arr_year_ago = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    customer_since = models.DateField(null=True, blank=True)
    churned_on = models.DateField(
        null=True,
        blank=True,
        help_text="first day insights saw the account churned (rebuilds: its renewal date "
        "when already past, else the day the account row last changed)",
    )
    contacts = models.IntegerField(default=0)
    hub_invited = models.IntegerField(default=0)
    hub_active = models.IntegerField(default=0, help_text="seen in the hub in the last 90 days")
    promoters = models.IntegerField(default=0)
    advocates = models.IntegerField(default=0, help_text="advocates and champions")
    champions = models.IntegerField(default=0)
    is_referred = models.BooleanField(default=False)
    referrer_account_id = models.IntegerField(null=True, blank=True)
    referred_on = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["industry_id", "region_id", "csm_id"], name="insights_fact_seg")
        ]

    def __str__(self):
        return f"fact {self.account_id}"

    @property
    def is_advocate_account(self) -> bool:
        return self.advocates > 0


class ArrSnapshot(models.Model):
    """An account's ARR on the first day of a month (written by the monthly snapshot task and
    by recompute for the current month): the history that expansion is measured on."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    arr = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="insights_arr_once")
        ]
        indexes = [models.Index(fields=["month"], name="insights_arr_month")]

    def __str__(self):
        return f"{self.account_id} {self.month}: {self.arr}"


class FillState(models.Model):
    """How far an incremental rollup has read an append-only table (the highest id folded in),
    as in Zulip's analytics fill state: catching up reads only the rows above it."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} @ {self.last_id}"


class DigestRun(models.Model):
    """One weekly executive digest (unique per ISO week, so a retried or doubled schedule
    sends it once)."""

    week = models.CharField(max_length=8, unique=True, help_text="ISO week, e.g. 2026-W48")
    recipients = models.IntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.week
