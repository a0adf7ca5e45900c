"""Staff pages for accounts and contacts: lists (search, filters, sort, pagination), detail pages
with the timeline and consents, create/edit forms, notes, and the taxonomy settings page.

Each list view serves its full page or, for htmx requests, just the results partial."""

import copy

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from ovation.activity.services import activity_record
from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page

from . import selectors, services
from .filters import (
    ACCOUNT_SORTS,
    CONTACT_SORTS,
    AccountFilterForm,
    ContactFilterForm,
    account_filter,
    contact_filter,
    order_by_sort,
)
from .forms import AccountForm, ConsentForm, ContactForm, NoteForm, TaxonomyForm
from .models import Account, Contact, Industry, Product, Region

PAGE_SIZE = 50
TIMELINE_PAGE = 20
CONTACTS_ON_ACCOUNT_PAGE = 25


# --- access helpers: the same 404 for missing and forbidden (STYLE.md #4) -----------------------


def access_account(*, actor, account_id: int, queryset=None) -> Account:
    if not actor.has_perm("ovation.view_directory"):
        raise Http404
    account = (queryset if queryset is not None else Account.objects).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


def access_contact(*, actor, contact_id: int, queryset=None) -> Contact:
    if not actor.has_perm("ovation.view_directory"):
        raise Http404
    contact = (queryset if queryset is not None else Contact.objects).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


# --- list helpers --------------------------------------------------------------------------------


def _sort_headers(request, columns: list[tuple[str, str | None]], current: str) -> list[dict]:
    """Column headers with the link that sorts by them (toggling direction) and aria-sort."""
    params = request.GET.copy()
    params.pop("page", None)
    headers = []
    for label, key in columns:
        header = {"label": label, "key": key, "url": None, "aria_sort": None, "arrow": ""}
        if key:
            ascending_now = current == key
            descending_now = current == f"-{key}"
            params["sort"] = f"-{key}" if ascending_now else key
            header["url"] = f"?{params.urlencode()}"
            if ascending_now:
                header.update(aria_sort="ascending", arrow="▲")
            elif descending_now:
                header.update(aria_sort="descending", arrow="▼")
        headers.append(header)
    return headers


def _list_context(request, form, queryset, sorts, columns, default_sort) -> dict:
    sort = form.cleaned_data.get("sort") if form.is_valid() else ""
    sort = sort or default_sort
    queryset = order_by_sort(queryset, sorts, sort)
    context = paginate(request, queryset, per_page=PAGE_SIZE)
    context.update(
        form=form,
        headers=_sort_headers(request, columns, sort),
        sort=sort,
        hx_target="#results",
        has_filters=bool(form.values()),
    )
    return context


CONTACT_COLUMNS = [
    ("Name", "name"),
    ("Account", "account"),
    ("Email", "email"),
    ("Stage", "stage"),
    ("Updated", "updated"),
]
ACCOUNT_COLUMNS = [
    ("Account", "name"),
    ("Industry", "industry"),
    ("Region", "region"),
    ("ARR", "arr"),
    ("Contacts", None),
    ("Status", "status"),
    ("Renewal", "renewal"),
]


@permission_required("ovation.view_directory")
def contact_list(request):
    form = ContactFilterForm(request.GET)
    queryset = contact_filter(selectors.contact_list(), **form.values())
    context = _list_context(request, form, queryset, CONTACT_SORTS, CONTACT_COLUMNS, "name")
    account_id = form.values().get("account_id")
    context["filter_account"] = (
        Account.objects.filter(pk=account_id).first() if account_id else None
    )
    return render_page(
        request,
        "directory/contact_list.html",
        "directory/partials/_contact_results.html",
        context,
    )


@permission_required("ovation.view_directory")
def account_list(request):
    form = AccountFilterForm(request.GET)
    queryset = account_filter(selectors.account_list(), **form.values())
    context = _list_context(request, form, queryset, ACCOUNT_SORTS, ACCOUNT_COLUMNS, "name")
    page = list(context["page_obj"].object_list)
    counts = selectors.account_contact_counts([a.id for a in page])
    for account in page:
        account.counts = counts.get(account.id, {"contacts": 0, "advocates": 0})
    context["accounts"] = page
    return render_page(
        request,
        "directory/account_list.html",
        "directory/partials/_account_results.html",
        context,
    )


# --- detail pages --------------------------------------------------------------------------------


def _timeline_chunk(request, activities_qs, url: str, *, show_contact: bool) -> dict:
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    rows = list(activities_qs[offset : offset + TIMELINE_PAGE + 1])
    has_more = len(rows) > TIMELINE_PAGE
    return {
        "activities": rows[:TIMELINE_PAGE],
        "more_url": f"{url}?offset={offset + TIMELINE_PAGE}" if has_more else None,
        "offset": offset,
        "show_contact": show_contact,
    }


def _contact_activities(contact):
    return contact.activities.select_related("actor").order_by("-occurred_at", "-id")


def _account_activities(account):
    return account.activities.select_related("contact").order_by("-occurred_at", "-id")


def _contact_timeline(request, contact):
    """A chunk of a contact's timeline (the first, or the one at ?offset=)."""
    url = reverse("directory:contact-timeline", args=[contact.pk])
    return _timeline_chunk(request, _contact_activities(contact), url, show_contact=False)


def _account_timeline(request, account):
    url = reverse("directory:account-timeline", args=[account.pk])
    return _timeline_chunk(request, _account_activities(account), url, show_contact=True)


@permission_required("ovation.view_directory")
def contact_detail(request, contact_id: int):
    contact = access_contact(
        actor=request.user, contact_id=contact_id, queryset=selectors.contact_detail_queryset()
    )
    can_edit = request.user.has_perm("ovation.edit_directory")
    context = {
        "contact": contact,
        "consents": selectors.consent_summary(contact=contact),
        "can_edit": can_edit,
        "consent_form": ConsentForm() if can_edit else None,
        "note_form": NoteForm() if can_edit else None,
        "timeline": _contact_timeline(request, contact),
    }
    return render(request, "directory/contact_detail.html", context)


@permission_required("ovation.view_directory")
def contact_timeline(request, contact_id: int):
    """The next chunk of a contact's timeline ("Show more")."""
    contact = access_contact(actor=request.user, contact_id=contact_id)
    chunk = _contact_timeline(request, contact)
    return render(request, "directory/partials/_timeline_chunk.html", {"timeline": chunk})


@permission_required("ovation.view_directory")
def account_detail(request, account_id: int):
    account = access_account(
        actor=request.user, account_id=account_id, queryset=selectors.account_detail_queryset()
    )
    contacts_qs = selectors.contact_list().filter(account=account).order_by("last_name", "id")
    contacts = list(contacts_qs[: CONTACTS_ON_ACCOUNT_PAGE + 1])
    counts = selectors.account_contact_counts([account.id]).get(
        account.id, {"contacts": 0, "advocates": 0}
    )
    context = {
        "account": account,
        "contacts": contacts[:CONTACTS_ON_ACCOUNT_PAGE],
        "more_contacts": len(contacts) > CONTACTS_ON_ACCOUNT_PAGE,
        "counts": counts,
        "can_edit": request.user.has_perm("ovation.edit_directory"),
        "timeline": _account_timeline(request, account),
    }
    return render(request, "directory/account_detail.html", context)


@permission_required("ovation.view_directory")
def account_timeline(request, account_id: int):
    account = access_account(actor=request.user, account_id=account_id)
    chunk = _account_timeline(request, account)
    return render(request, "directory/partials/_timeline_chunk.html", {"timeline": chunk})


# --- create / edit ---------------------------------------------------------------------------------


def _apply_service_error(form, exc: ServiceError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@permission_required("ovation.edit_directory")
@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(**form.service_kwargs())
        except ServiceError as exc:
            _apply_service_error(form, exc)
        else:
            messages.success(request, f"Account {account.name} created.")
            return redirect("directory:account-detail", account_id=account.pk)
    return render(request, "directory/account_form.html", {"form": form, "account": None})


@permission_required("ovation.edit_directory")
@require_http_methods(["GET", "POST"])
def account_edit(request, account_id: int):
    account = access_account(actor=request.user, account_id=account_id)
    # The form validates a copy: a ModelForm writes posted values into its instance even when
    # they are invalid, and the service compares against the stored values.
    form = AccountForm(request.POST or None, instance=copy.copy(account))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.account_update(account=account, **form.service_kwargs())
        except ServiceError as exc:
            _apply_service_error(form, exc)
        else:
            messages.success(
                request,
                "Account saved." if changed else "Nothing changed: the account is as it was.",
            )
            return redirect("directory:account-detail", account_id=account.pk)
    return render(request, "directory/account_form.html", {"form": form, "account": account})


@permission_required("ovation.edit_directory")
@require_http_methods(["GET", "POST"])
def contact_create(request):
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = int(request.GET["account"])
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(**form.cleaned_data)
        except ServiceError as exc:
            _apply_service_error(form, exc)
        else:
            messages.success(request, f"Contact {contact} created.")
            return redirect("directory:contact-detail", contact_id=contact.pk)
    return render(request, "directory/contact_form.html", {"form": form, "contact": None})


@permission_required("ovation.edit_directory")
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id: int):
    contact = access_contact(actor=request.user, contact_id=contact_id)
    form = ContactForm(request.POST or None, instance=copy.copy(contact))
    if request.method == "POST" and form.is_valid():
        old_stage = contact.stage
        try:
            with transaction.atomic():
                changed = services.contact_update(contact=contact, **form.cleaned_data)
                if "stage" in changed:
                    activity_record(
                        kind="stage.changed",
                        contact=contact,
                        actor=request.user,
                        source="staff",
                        data={
                            "from": old_stage,
                            "to": contact.stage,
                            "summary": f"{Contact.Stage(old_stage).label} → "
                            f"{contact.get_stage_display()} (set by {request.user})",
                        },
                    )
        except ServiceError as exc:
            _apply_service_error(form, exc)
        else:
            messages.success(
                request,
                "Contact saved." if changed else "Nothing changed: the contact is as it was.",
            )
            return redirect("directory:contact-detail", contact_id=contact.pk)
    return render(request, "directory/contact_form.html", {"form": form, "contact": contact})


@permission_required("ovation.edit_directory")
@require_POST
def contact_consent_record(request, contact_id: int):
    contact = access_contact(actor=request.user, contact_id=contact_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        consent = services.consent_record(
            contact=contact,
            purpose=form.cleaned_data["purpose"],
            is_granted=form.cleaned_data["is_granted"],
            note=form.cleaned_data["note"],
            source="staff",
            actor=request.user,
        )
        messages.success(
            request,
            f"{consent.get_purpose_display()}: {'granted' if consent.is_granted else 'withdrawn'}.",
        )
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"Consent not recorded: {field}: {' '.join(errors)}")
    return redirect(reverse("directory:contact-detail", args=[contact.pk]) + "#consents")


@permission_required("ovation.edit_directory")
@require_POST
def contact_note_create(request, contact_id: int):
    contact = access_contact(actor=request.user, contact_id=contact_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        activity_record(
            kind=form.cleaned_data["kind"],
            contact=contact,
            occurred_at=form.cleaned_data["occurred_at"],
            source="staff",
            actor=request.user,
            data={"summary": form.cleaned_data["summary"], "by": str(request.user)},
        )
        if request.htmx:
            chunk = _contact_timeline(request, contact)
            return render(
                request,
                "directory/partials/_contact_timeline.html",
                {"contact": contact, "timeline": chunk, "note_form": NoteForm(), "can_edit": True},
            )
        messages.success(request, "Logged.")
        return redirect(reverse("directory:contact-detail", args=[contact.pk]) + "#timeline")
    if request.htmx:
        chunk = _contact_timeline(request, contact)
        return render(
            request,
            "directory/partials/_contact_timeline.html",
            {"contact": contact, "timeline": chunk, "note_form": form, "can_edit": True},
        )
    for field, errors in form.errors.items():
        messages.error(request, f"Not logged: {field}: {' '.join(errors)}")
    return redirect(reverse("directory:contact-detail", args=[contact.pk]) + "#timeline")


# --- taxonomies --------------------------------------------------------------------------------

TAXONOMIES = {"industries": Industry, "regions": Region, "products": Product}


def _taxonomy_model(kind: str):
    try:
        return TAXONOMIES[kind]
    except KeyError:
        raise Http404 from None


@permission_required("ovation.manage_taxonomies")
def taxonomy_list(request):
    from django.db.models import Count

    sections = []
    for kind, model in TAXONOMIES.items():
        usage = "accounts" if model is Product else "account"
        entries = model.objects.annotate(n_accounts=Count(usage)).order_by("name")
        sections.append(
            {
                "kind": kind,
                "title": model._meta.verbose_name_plural.capitalize(),
                "singular": model._meta.verbose_name,
                "entries": entries,
                "form": TaxonomyForm(prefix=kind),
            }
        )
    return render(request, "directory/taxonomy_list.html", {"sections": sections})


@permission_required("ovation.manage_taxonomies")
@require_POST
def taxonomy_create(request, kind: str):
    model = _taxonomy_model(kind)
    form = TaxonomyForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            entry = services.taxonomy_save(model, name=form.cleaned_data["name"])
        except ServiceError as exc:
            messages.error(request, f"{model._meta.verbose_name.capitalize()}: {exc.message}")
        else:
            messages.success(request, f"Added {entry.name}.")
    else:
        messages.error(request, f"{model._meta.verbose_name.capitalize()}: name is required")
    return redirect(f"{reverse('directory:taxonomy-list')}#{kind}")


@permission_required("ovation.manage_taxonomies")
@require_POST
def taxonomy_edit(request, kind: str, pk: int):
    model = _taxonomy_model(kind)
    entry = model.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404
    if request.POST.get("action") == "delete":
        name = entry.name
        services.taxonomy_delete(entry)
        messages.success(request, f"Deleted {name}.")
    else:
        try:
            services.taxonomy_save(model, name=request.POST.get("name", ""), instance=entry)
        except ServiceError as exc:
            messages.error(request, f"{entry.name}: {exc.message}")
        else:
            messages.success(request, f"Renamed to {entry.name}.")
    return redirect(f"{reverse('directory:taxonomy-list')}#{kind}")


urlpatterns = [
    path("accounts/", account_list, name="account-list"),
    path("accounts/new/", account_create, name="account-create"),
    path("accounts/<int:account_id>/", account_detail, name="account-detail"),
    path("accounts/<int:account_id>/edit/", account_edit, name="account-edit"),
    path("accounts/<int:account_id>/timeline/", account_timeline, name="account-timeline"),
    path("contacts/", contact_list, name="contact-list"),
    path("contacts/new/", contact_create, name="contact-create"),
    path("contacts/<int:contact_id>/", contact_detail, name="contact-detail"),
    path("contacts/<int:contact_id>/edit/", contact_edit, name="contact-edit"),
    path("contacts/<int:contact_id>/consents/", contact_consent_record, name="contact-consent"),
    path("contacts/<int:contact_id>/notes/", contact_note_create, name="contact-note"),
    path("contacts/<int:contact_id>/timeline/", contact_timeline, name="contact-timeline"),
    path("settings/taxonomies/", taxonomy_list, name="taxonomy-list"),
    path("settings/taxonomies/<str:kind>/", taxonomy_create, name="taxonomy-create"),
    path("settings/taxonomies/<str:kind>/<int:pk>/", taxonomy_edit, name="taxonomy-edit"),
]
