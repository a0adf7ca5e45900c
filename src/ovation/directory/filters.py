"""Filters for account and contact lists, shared by the staff pages and the JSON API (one
definition, so the UI and the API cannot disagree about what "industry=healthcare" means).

`contact_filter(qs, **params)` / `account_filter(qs, **params)` apply plain values; the forms
below parse a query string into those values (and render the filter bar)."""

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from ovation.users.models import User

from .models import Account, Contact, Industry, Product, Region
from .selectors import contact_search

# Sort keys offered to users -> ORDER BY. Every ordering ends with "id" so pages are stable.
CONTACT_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "email": ("email", "id"),
    "account": ("account__name", "id"),
    "title": ("title", "id"),
    "stage": ("stage", "last_name", "id"),
    "updated": ("updated_at", "id"),
}
ACCOUNT_SORTS = {
    "name": ("name", "id"),
    "industry": ("industry__name", "name", "id"),
    "region": ("region__name", "name", "id"),
    "arr": ("arr", "id"),
    "renewal": ("renewal_date", "id"),
    "status": ("status", "name", "id"),
    "updated": ("updated_at", "id"),
}


def order_by_sort(qs: QuerySet, sorts: dict[str, tuple[str, ...]], sort: str) -> QuerySet:
    """`sort` is a key of `sorts`, "-" prefixed for descending; unknown keys use the first."""
    descending = sort.startswith("-")
    fields = sorts.get(sort.lstrip("-")) or next(iter(sorts.values()))
    return qs.order_by(*[f"-{f}" if descending else f for f in fields])


def contact_filter(
    qs: QuerySet[Contact],
    *,
    q: str = "",
    email: str = "",
    industry: str = "",
    region: str = "",
    product: str = "",
    stage: str = "",
    status: str = "",
    csm_owner: int | None = None,
    seniority: str = "",
    persona: str = "",
    account_id: int | None = None,
    updated_since: datetime | None = None,
    is_active: bool | None = None,
) -> QuerySet[Contact]:
    """Taxonomies are matched by slug; `status` and `csm_owner` are the account's."""
    if q:
        qs = contact_search(qs, q)
    if email:
        qs = qs.filter(email__iexact=email.strip())
    if industry:
        qs = qs.filter(account__industry__slug=industry)
    if region:
        qs = qs.filter(account__region__slug=region)
    if product:
        qs = qs.filter(account__products__slug=product)
    if stage:
        qs = qs.filter(stage=stage)
    if status:
        qs = qs.filter(account__status=status)
    if csm_owner:
        qs = qs.filter(account__csm_owner_id=csm_owner)
    if seniority:
        qs = qs.filter(seniority=seniority)
    if persona:
        qs = qs.filter(persona=persona)
    if account_id:
        qs = qs.filter(account_id=account_id)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs


def account_search(qs: QuerySet[Account], q: str) -> QuerySet[Account]:
    q = q.strip()
    if not q:
        return qs
    cond = Q()
    for term in q.split():
        cond &= Q(name__icontains=term) | Q(domain__icontains=term) | Q(crm_id__iexact=term)
    return qs.filter(cond)


def account_filter(
    qs: QuerySet[Account],
    *,
    q: str = "",
    industry: str = "",
    region: str = "",
    product: str = "",
    status: str = "",
    csm_owner: int | None = None,
    employee_band: str = "",
    domain: str = "",
    crm_id: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[Account]:
    if q:
        qs = account_search(qs, q)
    if industry:
        qs = qs.filter(industry__slug=industry)
    if region:
        qs = qs.filter(region__slug=region)
    if product:
        qs = qs.filter(products__slug=product)
    if status:
        qs = qs.filter(status=status)
    if csm_owner:
        qs = qs.filter(csm_owner_id=csm_owner)
    if employee_band:
        qs = qs.filter(employee_band=employee_band)
    if domain:
        qs = qs.filter(domain__iexact=domain.strip())
    if crm_id:
        qs = qs.filter(crm_id=crm_id.strip())
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    return qs


def _blank(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *choices]


def csm_choices() -> list[tuple[str, str]]:
    users = User.objects.filter(
        is_active=True, role__in=[User.Role.CSM, User.Role.MANAGER, User.Role.ADMIN]
    ).order_by("full_name", "email")
    return [(str(u.pk), u.full_name or u.email) for u in users]


class _ListFilterForm(forms.Form):
    """Parses a list's query string. Taxonomy choices are loaded once (one query each)."""

    sorts: dict[str, tuple[str, ...]] = {}

    q = forms.CharField(required=False, max_length=200, label="Search")
    industry = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    product = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False, choices=_blank("Any status", Account.Status.choices), label="Status"
    )
    csm_owner = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="CSM owner"
    )
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        taxonomies = (
            ("industry", Industry, "Any industry"),
            ("region", Region, "Any region"),
            ("product", Product, "Any product"),
        )
        for name, model, blank in taxonomies:
            field = self.fields[name]
            field.choices = _blank(blank, model.objects.values_list("slug", "name"))
            field.label = model._meta.verbose_name.capitalize()
        self.fields["csm_owner"].choices = _blank("Any CSM", csm_choices())
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["data-autosubmit"] = ""

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or ""
        return sort if sort.lstrip("-") in self.sorts else ""

    def values(self) -> dict[str, Any]:
        """The valid filter values (invalid ones are dropped, as a list page must still show)."""
        if not self.is_bound:
            return {}
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None) and k != "sort"}

    @property
    def active_count(self) -> int:
        return len([k for k in self.values() if k != "q"])


class ContactFilterForm(_ListFilterForm):
    sorts = CONTACT_SORTS

    stage = forms.ChoiceField(
        required=False, choices=_blank("Any stage", Contact.Stage.choices), label="Stage"
    )
    seniority = forms.ChoiceField(
        required=False, choices=_blank("Any seniority", Contact.Seniority.choices)
    )
    # Filtering by account is a link from the account page, not a dropdown.
    account_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    field_order = [
        "q",
        "industry",
        "region",
        "product",
        "stage",
        "status",
        "csm_owner",
        "seniority",
    ]

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update(
            placeholder="Name, email or company", type="search", autocomplete="off"
        )
        self.fields["status"].label = "Account status"


class AccountFilterForm(_ListFilterForm):
    sorts = ACCOUNT_SORTS

    field_order = ["q", "industry", "region", "product", "status", "csm_owner"]

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["q"].widget.attrs.update(
            placeholder="Name, domain or CRM id", type="search", autocomplete="off"
        )
