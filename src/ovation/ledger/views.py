"""Staff pages for the points ledger: balances, one contact's ledger, manual adjustments."""

import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.directory.models import Contact

from .forms import AdjustmentForm
from .selectors import balance_list, ledger_entry_list
from .services import balance_get, ledger_adjust, request_fingerprint


@permission_required("ovation.view_directory")
def balance_index(request):
    search = request.GET.get("q", "").strip()
    context = {"search": search, **paginate(request, balance_list(search=search))}
    return render_page(
        request, "ledger/balance_list.html", "ledger/partials/_balances.html", context
    )


def _contact_page(request, contact, form=None, status=200):
    can_adjust = request.user.has_perm("ovation.adjust_points")
    if form is None and can_adjust:
        form = AdjustmentForm(initial={"request_key": uuid.uuid4()})
    context = {
        "contact": contact,
        "balance": balance_get(contact=contact),
        "form": form,
        "can_adjust": can_adjust,
        **paginate(request, ledger_entry_list(contact=contact), per_page=25),
    }
    response = render_page(
        request, "ledger/contact_ledger.html", "ledger/partials/_entries.html", context
    )
    response.status_code = status
    return response


@permission_required("ovation.view_directory")
def contact_ledger(request, contact_id: int):
    contact = get_object_or_404(Contact.objects.select_related("account"), pk=contact_id)
    return _contact_page(request, contact)


@require_POST
@permission_required("ovation.adjust_points")
def contact_adjust(request, contact_id: int):
    contact = get_object_or_404(Contact.objects.select_related("account"), pk=contact_id)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        return _contact_page(request, contact, form=form, status=422)
    data = form.cleaned_data
    try:
        entry, created = ledger_adjust(
            contact=contact,
            amount=data["amount"],
            reason=data["reason"],
            actor=request.user,
            idempotency_key=f"ui:adjust:{data['request_key']}",
            fingerprint=request_fingerprint(
                {"contact": contact.pk, "amount": data["amount"], "reason": data["reason"]}
            ),
        )
    except ServiceError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _contact_page(request, contact, form=form, status=409 if exc.status == 409 else 422)
    if created:
        messages.success(request, f"Adjusted {contact} by {entry.amount:+,} points.")
    return redirect("ledger:contact", contact_id=contact.pk)


app_name = "ledger"
urlpatterns = [
    path("ledger/", balance_index, name="home"),
    path("ledger/<int:contact_id>/", contact_ledger, name="contact"),
    path("ledger/<int:contact_id>/adjust/", contact_adjust, name="adjust"),
]
