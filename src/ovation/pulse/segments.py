"""Segment dimensions shared by rollups, filters, the dashboard and the API.

A segment is (dimension, value): ("industry", "3"), ("arr_band", "25k-100k"), ("all", "").
Values are strings (ids for taxonomies and CSMs) so that one rollup table holds them all."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from ovation.directory.models import Account, Contact, Industry, Product, Region
from ovation.users.models import User

from .stats import ARR_BAND_LABELS, ARR_BANDS, arr_band

ALL = ("all", "")
# dimension -> label; order is the order of the dashboard's segment table.
DIMENSIONS = {
    "industry": "Industry",
    "region": "Region",
    "product": "Product",
    "arr_band": "ARR band",
    "employee_band": "Employees",
    "csm": "CSM",
    "stage": "Stage",
}
ACCOUNT_DIMENSIONS = ["industry", "region", "product", "arr_band", "employee_band", "csm"]
CUSTOMER_STATUSES = [
    Account.Status.ONBOARDING,
    Account.Status.ACTIVE,
    Account.Status.AT_RISK,
]


def account_segments(
    *,
    industry_id,
    region_id,
    arr,
    employee_band: str,
    csm_id,
    product_ids: Iterable[int],
) -> list[tuple[str, str]]:
    out = [ALL, ("arr_band", arr_band(arr))]
    if industry_id:
        out.append(("industry", str(industry_id)))
    if region_id:
        out.append(("region", str(region_id)))
    if employee_band:
        out.append(("employee_band", employee_band))
    if csm_id:
        out.append(("csm", str(csm_id)))
    out.extend(("product", str(pid)) for pid in sorted(set(product_ids)))
    return out


def account_segment_map(account_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """account id -> its segments, in two queries whatever the number of accounts."""
    ids = [i for i in set(account_ids) if i]
    if not ids:
        return {}
    products: dict[int, list[int]] = {}
    through = Account.products.through
    out: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(ids), 20000):
        chunk = ids[start : start + 20000]
        for account_id, product_id in through.objects.filter(account_id__in=chunk).values_list(
            "account_id", "product_id"
        ):
            products.setdefault(account_id, []).append(product_id)
        for row in Account.objects.filter(id__in=chunk).values(
            "id", "industry_id", "region_id", "arr", "employee_band", "csm_owner_id"
        ):
            out[row["id"]] = account_segments(
                industry_id=row["industry_id"],
                region_id=row["region_id"],
                arr=row["arr"],
                employee_band=row["employee_band"],
                csm_id=row["csm_owner_id"],
                product_ids=products.get(row["id"], []),
            )
    return out


def contact_q(dimension: str, value: str, prefix: str = "") -> Q:
    """A filter on Contact (prefix "" ) or on a model with an `account` FK (prefix "contact__"
    is not needed: pass prefix="" for Contact and use account_q for account-keyed rows)."""
    if dimension == "all":
        return Q()
    if dimension == "stage":
        return Q(**{f"{prefix}stage": value})
    return account_q(dimension, value, prefix=f"{prefix}account__")


def account_q(dimension: str, value: str, prefix: str = "") -> Q:
    """A filter on Account (prefix "") or through an `account` FK (prefix "account__")."""
    if dimension == "all":
        return Q()
    if dimension == "industry":
        return Q(**{f"{prefix}industry_id": value})
    if dimension == "region":
        return Q(**{f"{prefix}region_id": value})
    if dimension == "product":
        return Q(**{f"{prefix}products": value})
    if dimension == "employee_band":
        return Q(**{f"{prefix}employee_band": value})
    if dimension == "csm":
        return Q(**{f"{prefix}csm_owner_id": value})
    if dimension == "arr_band":
        for key, _, low, high in ARR_BANDS:
            if key == value:
                q = Q(**{f"{prefix}arr__gte": low})
                if high is not None:
                    q &= Q(**{f"{prefix}arr__lt": high})
                return q
        return Q(pk__in=[])
    raise ValueError(f"unknown segment dimension {dimension}")


def customer_contacts():
    return Contact.objects.filter(is_active=True, account__status__in=CUSTOMER_STATUSES)


def customer_accounts():
    return Account.objects.filter(status__in=CUSTOMER_STATUSES)


def value_labels() -> dict[tuple[str, str], str]:
    """(dimension, value) -> human label, for every taxonomy value (a handful of queries)."""
    labels: dict[tuple[str, str], str] = {ALL: "All customers"}
    for dim, model in (("industry", Industry), ("region", Region), ("product", Product)):
        for pk, name in model.objects.values_list("id", "name"):
            labels[(dim, str(pk))] = name
    for pk, name, email in (
        User.objects.filter(csm_accounts__isnull=False)
        .distinct()
        .values_list("id", "full_name", "email")
    ):
        labels[("csm", str(pk))] = name or email
    for key, label in ARR_BAND_LABELS.items():
        labels[("arr_band", key)] = f"ARR {label}"
    for key, label in Account.EmployeeBand.choices:
        labels[("employee_band", key)] = f"{label} employees"
    for key, label in Contact.Stage.choices:
        labels[("stage", key)] = label
    return labels
