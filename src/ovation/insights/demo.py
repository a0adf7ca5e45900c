"""Demo data for insights: twelve months of ARR history (the other modules' demos provide
everything else), then a full recompute so the dashboard is populated after `ovation demo`."""

import math
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from ovation.directory.models import Account

from . import recompute
from .models import AccountFact, ArrSnapshot
from .rollups import CUSTOMER_STATUSES, add_months, month_start


def already_loaded(ctx) -> bool:
    return ArrSnapshot.objects.filter(account__crm_id__startswith="ACME-ACC-").exists() and (
        AccountFact.objects.exists()
    )


def reset(ctx) -> None:
    ArrSnapshot.objects.filter(account__crm_id__startswith="ACME-ACC-").delete()
    AccountFact.objects.all().delete()


def load(ctx) -> None:
    rng = ctx.rng("insights")
    this_month = month_start(timezone.localdate())
    accounts = list(
        Account.objects.filter(crm_id__startswith="ACME-ACC-", status__in=CUSTOMER_STATUSES)
        .annotate(adv=Count("contacts", filter=Q(contacts__stage__in=["advocate", "champion"])))
        .values_list("id", "arr", "customer_since", "adv")
    )
    snaps = []
    for pk, arr, since, adv in ctx.track(accounts, description="ARR history", total=len(accounts)):
        # Yearly growth: most accounts grow a little; accounts with advocates a little more.
        growth = math.exp(rng.gauss(0.04 + (0.07 if adv else 0.0), 0.12))
        for back in range(12, 0, -1):
            month = add_months(this_month, -back)
            if since and month < since:
                continue
            value = float(arr) / growth ** (back / 12)
            snaps.append(ArrSnapshot(account_id=pk, month=month, arr=Decimal(round(value, 2))))
    ArrSnapshot.objects.bulk_create(snaps, batch_size=5000, ignore_conflicts=True)
    recompute.run(progress=None)
