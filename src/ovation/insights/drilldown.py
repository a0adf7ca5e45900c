"""The rows behind each dashboard number: one definition per metric (title, columns, a
queryset with its joins, and how to turn a row into cells), shared by the list page and its
CSV export. Reads other modules' models directly (there is no selector for these joins)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ovation.directory.models import Account, Contact

from .models import AccountFact
from .rollups import add_months
from .selectors import Filters, account_q, day_start, facts


@dataclass
class Drill:
    title: str
    headers: list[str]
    queryset: QuerySet
    cells: Callable[[Any], list]
    link: Callable[[Any], str | None] = lambda obj: None


def _contact_cells(c: Contact) -> list:
    return [
        c.full_name or c.email,
        c.email,
        c.account.name if c.account_id else "",
        c.get_stage_display(),
        c.title,
    ]


def _contact_link(c: Contact) -> str | None:
    try:
        return reverse("directory:contact-detail", args=[c.pk])
    except NoReverseMatch:
        return None


def _account_link(a) -> str | None:
    try:
        return reverse("directory:account-detail", args=[a.account_id])
    except NoReverseMatch:
        return None


def _contacts(f: Filters, q: Q) -> QuerySet:
    return (
        Contact.objects.filter(
            is_active=True, account__status__in=["onboarding", "active", "at_risk"]
        )
        .filter(account_q(f))
        .filter(q)
        .select_related("account")
        .order_by("last_name", "first_name", "id")
    )


CONTACT_HEADERS = ["Name", "Email", "Account", "Stage", "Title"]


def drill(metric: str, f: Filters, params) -> Drill:
    today = timezone.localdate()
    if metric == "contacts":
        return Drill(
            "Customer contacts", CONTACT_HEADERS, _contacts(f, Q()), _contact_cells, _contact_link
        )
    if metric == "advocates":
        return Drill(
            "Advocates and champions",
            CONTACT_HEADERS,
            _contacts(f, Q(stage__in=["advocate", "champion"])),
            _contact_cells,
            _contact_link,
        )
    if metric == "champions":
        return Drill(
            "Champions",
            CONTACT_HEADERS,
            _contacts(f, Q(stage="champion")),
            _contact_cells,
            _contact_link,
        )
    if metric in ("invited", "hub-active"):
        from ovation.hub.models import HubProfile

        since = timezone.now() - timedelta(days=90)
        cond = Q(invited_at__isnull=False) if metric == "invited" else Q(last_seen_at__gte=since)
        profiles = HubProfile.objects.filter(cond, contact=OuterRef("pk"))
        title = "Invited to the hub" if metric == "invited" else "Active in the hub, last 90 days"
        return Drill(
            title, CONTACT_HEADERS, _contacts(f, Q(Exists(profiles))), _contact_cells, _contact_link
        )
    if metric == "nps":
        from ovation.pulse.models import Response

        qs = Response.objects.filter(f.between("answered_at")).filter(account_q(f))
        month = params.get("month")
        if month:
            try:
                m = date.fromisoformat(month)
                qs = qs.filter(
                    answered_at__gte=day_start(m), answered_at__lt=day_start(add_months(m, 1))
                )
            except ValueError:
                pass
        return Drill(
            "NPS answers",
            ["Answered", "Contact", "Account", "Score", "Reason"],
            qs.select_related("contact", "account").order_by("-answered_at", "-id"),
            lambda r: [
                timezone.localtime(r.answered_at).strftime("%Y-%m-%d"),
                r.contact.full_name or r.contact.email,
                r.account.name if r.account_id else "",
                r.score,
                r.reason[:200],
            ],
        )
    if metric == "requests":
        from ovation.references.models import ReferenceRequest

        qs = ReferenceRequest.objects.filter(f.between("submitted_at"))
        if f.industry:
            qs = qs.filter(industry_id=f.industry)
        if f.region:
            qs = qs.filter(region_id=f.region)
        if params.get("fulfilled"):
            qs = qs.exclude(fulfilled_at=None)
        return Drill(
            "Reference requests",
            ["Submitted", "Opportunity", "Prospect industry", "Status", "Days to fulfil"],
            qs.select_related("opportunity", "industry").order_by("-submitted_at", "-id"),
            lambda r: [
                timezone.localtime(r.submitted_at).strftime("%Y-%m-%d"),
                r.opportunity.name if r.opportunity_id else r.prospect_name,
                r.industry.name if r.industry_id else "",
                r.get_status_display(),
                ""
                if not r.fulfilled_at
                else round((r.fulfilled_at - r.submitted_at).total_seconds() / 86400, 1),
            ],
            lambda r: _safe_reverse("references:request-detail", r.pk),
        )
    if metric == "opportunities":
        from ovation.references.models import Assignment, Opportunity

        completed = Assignment.objects.filter(
            request__opportunity=OuterRef("pk"), status=Assignment.Status.COMPLETED
        )
        qs = Opportunity.objects.annotate(referenced=Exists(completed)).filter(
            Q(close_date__gte=f.start, close_date__lte=f.end)
            | (Q(close_date__isnull=True) & f.between("created_at"))
        )
        if params.get("referenced") in ("0", "1"):
            qs = qs.filter(referenced=params["referenced"] == "1")
        if params.get("outcome"):
            qs = qs.filter(outcome=params["outcome"])
        return Drill(
            "Opportunities",
            [
                "Opportunity",
                "CRM id",
                "Amount",
                "Stage",
                "Outcome",
                "Closed",
                "Completed reference",
            ],
            qs.order_by("-close_date", "-id"),
            lambda o: [
                o.name,
                o.crm_id or "",
                o.amount,
                o.stage,
                o.get_outcome_display(),
                o.closed_at or o.close_date or "",
                "yes" if o.referenced else "no",
            ],
        )
    if metric == "referrals":
        from ovation.referrals.models import Referral

        qs = Referral.objects.filter(f.between("created_at"), counts=True).filter(
            account_q(f, prefix="referrer__account__")
        )
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        return Drill(
            "Referrals",
            ["Created", "Referred person", "Company", "Referrer", "Status", "Deal amount"],
            qs.select_related("referrer").order_by("-created_at", "-id"),
            lambda r: [
                timezone.localtime(r.created_at).strftime("%Y-%m-%d"),
                r.name,
                r.company,
                r.referrer.full_name or r.referrer.email,
                r.get_status_display(),
                r.deal_amount or "",
            ],
        )
    if metric == "accounts":
        qs = facts(f).select_related("account")
        if params.get("advocate") == "1":
            qs = qs.filter(advocates__gt=0)
        elif params.get("advocate") == "0":
            qs = qs.filter(advocates=0)
        if params.get("referred") in ("0", "1"):
            qs = qs.filter(is_referred=params["referred"] == "1")
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("referrer_churned"):
            churned = AccountFact.objects.filter(
                account_id=OuterRef("referrer_account_id"), churned_on__isnull=False
            )
            qs = qs.filter(Exists(churned))
        return Drill(
            "Accounts",
            [
                "Account",
                "Status",
                "ARR",
                "ARR a year ago",
                "Customer since",
                "Churned on",
                "Advocates",
                "Contacts",
                "Referred",
            ],
            qs.order_by("account__name", "account_id"),
            lambda a: [
                a.account.name,
                Account.Status(a.status).label if a.status in Account.Status.values else a.status,
                a.arr,
                "" if a.arr_year_ago is None else a.arr_year_ago,
                a.customer_since or "",
                a.churned_on or "",
                a.advocates,
                a.contacts,
                "yes" if a.is_referred else "no",
            ],
            _account_link,
        )
    del today
    raise Http404("unknown metric")


def _safe_reverse(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


METRICS = [
    "contacts",
    "advocates",
    "champions",
    "invited",
    "hub-active",
    "nps",
    "requests",
    "opportunities",
    "referrals",
    "accounts",
]
