"""Reads for references: request lists and details (related rows joined), the advocate's
invitations, pool health and outcomes."""

from datetime import timedelta
from decimal import Decimal
from statistics import median

import numpy as np
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from ovation.directory.models import Contact, Industry, Region

from .budget import overall_policy, policy_rules
from .fatigue import allowance_next_quarter, gini
from .models import Ask, Assignment, Opportunity, ReferenceRequest


def request_list(*, status: str = "", mine_for=None, q: str = "") -> QuerySet[ReferenceRequest]:
    qs = ReferenceRequest.objects.select_related(
        "opportunity", "requester", "industry", "region"
    ).annotate(
        n_assigned=Count(
            "assignments", filter=~Q(assignments__status__in=["declined", "cancelled"])
        )
    )
    qs = qs.order_by("-submitted_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if mine_for is not None:
        qs = qs.filter(requester=mine_for)
    if q.strip():
        qs = qs.filter(
            Q(opportunity__name__icontains=q.strip())
            | Q(prospect_name__icontains=q.strip())
            | Q(opportunity__crm_id__iexact=q.strip())
        )
    return qs


def request_get(*, request_id: int) -> ReferenceRequest:
    return (
        ReferenceRequest.objects.select_related("opportunity", "requester", "industry", "region")
        .prefetch_related(
            "products",
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related(
                    "contact", "contact__account", "picked_by"
                ).order_by("invited_at", "id"),
            ),
        )
        .get(pk=request_id)
    )


def hub_assignments(*, contact: Contact) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(contact=contact)
        .exclude(status=Assignment.Status.CANCELLED)
        .select_related("request", "request__industry", "request__region")
        .order_by("-invited_at")
    )


def ask_list(*, contact: Contact | None = None) -> QuerySet[Ask]:
    qs = Ask.objects.select_related("contact", "contact__account", "actor")
    return qs.filter(contact=contact) if contact else qs


def pool_health(*, now=None) -> dict:
    """Usage over 12 months (Gini, over-/never-used), coverage by industry x region, and the
    capacity forecast for the next quarter under the fatigue policy."""
    from .pool import ask_state, hard_filters

    now = now or timezone.now()
    cols, state = ask_state()
    today_ord = timezone.localdate(now).toordinal()
    policy = overall_policy()
    passes = np.ones(cols.contact_ids.size, bool)
    for _, ok in hard_filters(cols, "call", today_ord, 0):
        passes &= ok
    # The reference pool: consenting contacts at active accounts, or anyone asked already.
    ts = state.asks.ts
    cutoff = now.timestamp() / 86400.0 - 365
    recent = (state.asks.contact_idx >= 0) & (ts > cutoff)
    usage = np.bincount(state.asks.contact_idx[recent], minlength=cols.contact_ids.size)
    in_pool = passes | (usage > 0)
    pool_usage = usage[in_pool]
    rules = policy_rules()
    overall = next((r for r in rules if not r.scope), None)
    cap_year = (
        overall.max_asks_in_window * 365 / overall.window_days
        if overall and overall.max_asks_in_window
        else None
    )
    # Over-used: more asks in 12 months than the policy allows in a year, else the top 5%.
    threshold = (
        cap_year if cap_year else float(np.percentile(pool_usage, 95) if pool_usage.size else 0)
    )
    over_idx = np.flatnonzero(in_pool & (usage > threshold))
    over_idx = over_idx[np.argsort(-usage[over_idx])][:25]
    never_idx = np.flatnonzero(passes & (usage == 0))
    window = overall.window_days if overall else 90
    in_window = (state.asks.contact_idx >= 0) & (ts > now.timestamp() / 86400.0 - window)
    asks_window = np.bincount(state.asks.contact_idx[in_window], minlength=cols.contact_ids.size)
    allowance = allowance_next_quarter(rules, activity_type="call", asks_in_window=asks_window)
    capacity = int(allowance[passes].sum())
    last_q = ReferenceRequest.objects.filter(submitted_at__gte=now - timedelta(days=91))
    demand = sum(last_q.values_list("number_wanted", flat=True))

    # Coverage: eligible references per industry x region.
    industries = list(Industry.objects.order_by("name"))
    regions = list(Region.objects.order_by("name"))
    matrix = []
    for ind in industries:
        row = []
        for reg in regions:
            count = int((passes & (cols.industry == ind.pk) & (cols.region == reg.pk)).sum())
            row.append({"region": reg, "count": count, "thin": count <= 1})
        matrix.append({"industry": ind, "cells": row})

    ids = [int(cols.contact_ids[i]) for i in over_idx]
    by_id = Contact.objects.select_related("account").in_bulk(ids)
    over = [
        {"contact": by_id[int(cols.contact_ids[i])], "asks": int(usage[i])}
        for i in over_idx
        if int(cols.contact_ids[i]) in by_id
    ]
    hist_bins = [0, 1, 2, 3, 4, 6, 9, 13]
    hist = np.histogram(pool_usage, bins=[*hist_bins, 10**9])[0].tolist() if pool_usage.size else []
    return {
        "gini": round(gini(pool_usage), 3),
        "pool_size": int(in_pool.sum()),
        "eligible": int(passes.sum()),
        "asks_12m": int(pool_usage.sum()),
        "over_used": over,
        "over_threshold": round(threshold, 1),
        "never_used_count": int(never_idx.size),
        "never_used_sample": list(
            Contact.objects.select_related("account")
            .filter(pk__in=[int(cols.contact_ids[i]) for i in never_idx[:12]])
            .order_by("last_name")
        ),
        "matrix": matrix,
        "regions": regions,
        "thin_cells": sum(1 for row in matrix for c in row["cells"] if c["thin"]),
        "capacity": capacity,
        "demand": int(demand),
        "hist_labels": ["0", "1", "2", "3", "4-5", "6-8", "9-12", "13+"],
        "hist": hist,
        "policy": policy,
    }


def outcomes(*, since=None) -> dict:
    """Influenced pipeline and won revenue, win rate with vs without a reference, time to fulfil."""
    referenced = Exists(
        Assignment.objects.filter(
            request__opportunity=OuterRef("pk"), status=Assignment.Status.COMPLETED
        )
    )
    opps = Opportunity.objects.annotate(referenced=referenced)
    if since:
        opps = opps.filter(created_at__gte=since)
    rows = list(opps.values_list("referenced", "outcome", "amount", "won_amount"))
    pipeline = sum((r[2] for r in rows if r[0]), Decimal(0))
    won = sum((r[3] or Decimal(0) for r in rows if r[0] and r[1] == "won"), Decimal(0))

    def rate(flag):
        closed = [r for r in rows if r[0] == flag and r[1] in ("won", "lost")]
        wins = sum(1 for r in closed if r[1] == "won")
        return (wins / len(closed) if closed else None), wins, len(closed)

    with_rate, with_wins, with_closed = rate(True)
    without_rate, without_wins, without_closed = rate(False)
    times = [
        (f - s).total_seconds() / 86400
        for s, f in ReferenceRequest.objects.filter(fulfilled_at__isnull=False).values_list(
            "submitted_at", "fulfilled_at"
        )
    ]
    return {
        "influenced_pipeline": pipeline,
        "won_revenue": won,
        "referenced_opps": sum(1 for r in rows if r[0]),
        "win_rate_with": with_rate,
        "win_rate_without": without_rate,
        "with_counts": (with_wins, with_closed),
        "without_counts": (without_wins, without_closed),
        "median_days_to_fulfil": round(median(times), 1) if times else None,
        "fulfilled": len(times),
    }


def outcome_rows() -> QuerySet[ReferenceRequest]:
    return (
        ReferenceRequest.objects.select_related("opportunity", "requester")
        .annotate(
            n_completed=Count("assignments", filter=Q(assignments__status="completed")),
        )
        .order_by("-submitted_at")
    )
