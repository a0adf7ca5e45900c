"""Staff pages (sales reps file and follow requests, managers pick and run the workflow) and
the advocate's hub page. Views parse, authorise, call one service, render."""

import csv
from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.directory.models import Contact
from ovation.directory.selectors import contact_list, contact_search
from ovation.hub.access import advocate_required

from . import selectors, services
from .budget import BudgetExceeded, ask_record, why_not_suggested
from .forms import (
    AcceptForm,
    AskLogForm,
    CompleteForm,
    DeclineForm,
    NewPolicyForm,
    OutcomeForm,
    PickForm,
    PolicyForm,
    RequestForm,
    ScheduleForm,
    WeightsForm,
)
from .models import Assignment, FatiguePolicy, MatchSettings, ReferenceRequest
from .pool import match

USE = "ovation.use_references"
MANAGE = "ovation.manage_references"


def access_request(*, actor, request_id: int) -> ReferenceRequest:
    """Every staff user with the references permission sees every request (status is shared);
    missing and forbidden are the same 404."""
    if not actor.has_perm(USE):
        raise Http404
    try:
        return selectors.request_get(request_id=request_id)
    except ReferenceRequest.DoesNotExist as exc:
        raise Http404 from exc


def access_assignment(*, actor, assignment_id: int) -> Assignment:
    a = (
        Assignment.objects.select_related("request", "contact", "ask")
        .filter(pk=assignment_id)
        .first()
    )
    if a is None or not actor.has_perm(USE):
        raise Http404
    return a


def _can_record(user, req: ReferenceRequest) -> bool:
    return user.has_perm(MANAGE) or req.requester_id == user.pk


@permission_required(USE)
def request_list(request):
    status = request.GET.get("status", "")
    if status not in ReferenceRequest.Status.values:
        status = ""
    mine = request.GET.get("mine") == "1"
    qs = selectors.request_list(
        status=status, mine_for=request.user if mine else None, q=request.GET.get("q", "")
    )
    now = timezone.now()
    open_qs = ReferenceRequest.objects.exclude(status__in=["closed", "cancelled"])
    ctx = {
        **paginate(request, qs, per_page=25),
        "status": status,
        "mine": mine,
        "q": request.GET.get("q", ""),
        "statuses": ReferenceRequest.Status.choices,
        "now": now,
        "tiles": {
            "open": open_qs.count(),
            "review": open_qs.filter(status="submitted").count(),
            "overdue": open_qs.filter(status="submitted", review_due_at__lt=now).count(),
            "waiting": Assignment.objects.filter(status="invited").count(),
        },
        "can_manage": request.user.has_perm(MANAGE),
    }
    return render_page(
        request, "references/request_list.html", "references/partials/_request_rows.html", ctx
    )


@permission_required(USE)
def request_create(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["products"] = list(data["products"])
        try:
            req = services.request_create(requester=request.user, **data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Request #{req.pk} submitted. A manager will review it.")
            return redirect("references:request-detail", request_id=req.pk)
    return render(request, "references/request_form.html", {"form": form})


@permission_required(USE)
def request_detail(request, request_id: int):
    req = access_request(actor=request.user, request_id=request_id)
    can_manage = request.user.has_perm(MANAGE)
    result = None
    if can_manage and req.is_open:
        result = match(req, limit=15, near_miss_limit=8)
    ctx = {
        "req": req,
        "assignments": list(req.assignments.all()),
        "result": result,
        "can_manage": can_manage,
        "can_record": _can_record(request.user, req),
        "complete_form": CompleteForm(),
        "schedule_form": ScheduleForm(),
        "outcome_form": OutcomeForm(
            initial={"outcome": req.opportunity.outcome, "amount": req.opportunity.amount}
        ),
        "conf": MatchSettings.current(),
        "now": timezone.now(),
    }
    return render(request, "references/request_detail.html", ctx)


def _fail(request, exc: ServiceError, target):
    messages.error(request, exc.message)
    return redirect(target)


@require_POST
@permission_required(MANAGE)
def request_pick(request, request_id: int):
    req = access_request(actor=request.user, request_id=request_id)
    form = PickForm(request.POST)
    if not form.is_valid():
        messages.error(request, "choose a contact to invite")
        return redirect("references:request-detail", request_id=req.pk)
    contact = Contact.objects.select_related("account").filter(pk=form.cleaned_data["contact_id"])
    contact = contact.first()
    if contact is None:
        raise Http404
    try:
        services.request_pick(
            request=req,
            contact=contact,
            actor=request.user,
            score=form.cleaned_data.get("score") or 0.0,
            explanation=form.cleaned_data.get("explanation") or "",
        )
    except BudgetExceeded as exc:
        messages.error(request, f"{contact} cannot be asked now: {exc.message} [{exc.rule}]")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{contact} is invited; they will answer in the hub.")
    return redirect("references:request-detail", request_id=req.pk)


@require_POST
@permission_required(MANAGE)
def request_cancel(request, request_id: int):
    req = access_request(actor=request.user, request_id=request_id)
    try:
        services.request_cancel(request=req, actor=request.user)
    except ServiceError as exc:
        return _fail(request, exc, reverse("references:request-detail", args=[req.pk]))
    messages.success(request, f"Request #{req.pk} cancelled.")
    return redirect("references:request-detail", request_id=req.pk)


@require_POST
@permission_required(USE)
def opportunity_outcome(request, request_id: int):
    req = access_request(actor=request.user, request_id=request_id)
    if not _can_record(request.user, req):
        raise PermissionDenied
    form = OutcomeForm(request.POST)
    target = reverse("references:request-detail", args=[req.pk])
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(target)
    try:
        services.opportunity_outcome_record(
            opportunity=req.opportunity,
            outcome=form.cleaned_data["outcome"],
            amount=form.cleaned_data.get("amount"),
        )
    except ServiceError as exc:
        return _fail(request, exc, target)
    messages.success(request, f"Opportunity marked {form.cleaned_data['outcome']}.")
    return redirect(target)


@require_POST
@permission_required(MANAGE)
def assignment_schedule(request, assignment_id: int):
    a = access_assignment(actor=request.user, assignment_id=assignment_id)
    target = reverse("references:request-detail", args=[a.request_id])
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "enter the date and time of the call")
        return redirect(target)
    try:
        services.assignment_schedule(
            assignment=a, scheduled_at=form.cleaned_data["scheduled_at"], actor=request.user
        )
    except ServiceError as exc:
        return _fail(request, exc, target)
    messages.success(request, "Scheduled.")
    return redirect(target)


@require_POST
@permission_required(USE)
def assignment_complete(request, assignment_id: int):
    a = access_assignment(actor=request.user, assignment_id=assignment_id)
    if not _can_record(request.user, a.request):
        raise PermissionDenied
    target = reverse("references:request-detail", args=[a.request_id])
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect(target)
    try:
        services.assignment_complete(
            assignment=a,
            held=form.cleaned_data["held"],
            rating=form.cleaned_data.get("rating"),
            feedback=form.cleaned_data.get("feedback", ""),
            actor=request.user,
        )
    except ServiceError as exc:
        return _fail(request, exc, target)
    messages.success(request, "Outcome recorded. Thank you!")
    return redirect(target)


@require_POST
@permission_required(MANAGE)
def assignment_cancel(request, assignment_id: int):
    a = access_assignment(actor=request.user, assignment_id=assignment_id)
    target = reverse("references:request-detail", args=[a.request_id])
    try:
        services.assignment_cancel(assignment=a, actor=request.user)
    except ServiceError as exc:
        return _fail(request, exc, target)
    messages.success(request, "Invitation withdrawn.")
    return redirect(target)


@permission_required(USE)
def why_not(request, request_id: int):
    req = access_request(actor=request.user, request_id=request_id)
    value = request.GET.get("contact", "").strip()
    qs = Contact.objects.select_related("account")
    contact = (
        qs.filter(pk=int(value)).first()
        if value.isdigit()
        else qs.filter(email__iexact=value).first()
        if value
        else None
    )
    decision = why_not_suggested(contact=contact, request=req) if contact else None
    ctx = {"req": req, "contact": contact, "decision": decision, "value": value}
    return render(request, "references/partials/_why_not.html", ctx)


@permission_required(USE)
def contact_options(request):
    """Autocomplete for the ask-log form: a <datalist> of matching contacts."""
    q = request.GET.get("contact", "")
    contacts = list(contact_search(contact_list(), q)[:10]) if len(q) >= 2 else []
    return render(request, "references/partials/_contact_options.html", {"contacts": contacts})


@permission_required(USE)
def ask_log(request):
    initial = {}
    preset = None
    if request.GET.get("contact", "").isdigit():
        preset = Contact.objects.select_related("account").filter(pk=request.GET["contact"]).first()
        if preset:
            details = request.user.has_perm("ovation.view_contact_details")
            initial["contact"] = preset.email if details else str(preset.pk)
    form = AskLogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = data["contact"]
        at = None
        if data["asked_on"] and data["asked_on"] != timezone.localdate():
            at = timezone.make_aware(datetime.combine(data["asked_on"], time(12)))
        try:
            ask_record(
                contact=contact,
                activity_type=data["activity_type"],
                channel="manual",
                logged_outside=True,
                note=data["note"],
                actor=request.user,
                at=at,
                status=data["status"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Ask of {contact} logged; it counts toward their budget.")
            nxt = request.POST.get("next", "")
            if nxt.startswith("/") and not nxt.startswith("//"):
                return redirect(nxt)
            return redirect("references:ask-log")
    recent = selectors.ask_list().filter(logged_outside=True)[:15]
    ctx = {"form": form, "preset": preset, "recent": recent, "next": request.GET.get("next", "")}
    return render(request, "references/ask_log.html", ctx)


@permission_required(USE)
def pool_health(request):
    health = selectors.pool_health()
    usage = {"labels": health["hist_labels"], "values": health["hist"]}
    return render(request, "references/pool_health.html", {"h": health, "usage": usage})


@permission_required(USE)
def outcomes(request):
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="reference-outcomes-{timezone.localdate()}.csv"'
        )
        w = csv.writer(response)
        w.writerow(
            [
                "request_id",
                "submitted_at",
                "requester",
                "opportunity",
                "crm_id",
                "amount",
                "activity_type",
                "status",
                "references_completed",
                "outcome",
                "won_amount",
                "days_to_fulfil",
            ]
        )
        for r in selectors.outcome_rows().iterator(chunk_size=2000):
            days = (
                round((r.fulfilled_at - r.submitted_at).total_seconds() / 86400, 1)
                if r.fulfilled_at
                else ""
            )
            w.writerow(
                [
                    r.pk,
                    r.submitted_at.isoformat(),
                    r.requester.email,
                    r.opportunity.name,
                    r.opportunity.crm_id or "",
                    r.opportunity.amount,
                    r.activity_type,
                    r.status,
                    r.n_completed,
                    r.opportunity.outcome,
                    r.opportunity.won_amount or "",
                    days,
                ]
            )
        return response
    ctx = {"o": selectors.outcomes(), **paginate(request, selectors.outcome_rows(), per_page=25)}
    return render(request, "references/outcomes.html", ctx)


@permission_required(MANAGE)
def settings_page(request):
    conf = MatchSettings.current()
    if not FatiguePolicy.objects.filter(activity_type="").exists():
        FatiguePolicy.objects.create(activity_type="")
    policies = list(FatiguePolicy.objects.all())
    which = request.POST.get("form", "")
    weights_form = WeightsForm(request.POST if which == "weights" else None, instance=conf)
    policy_forms = [
        (
            p,
            PolicyForm(
                request.POST if which == f"policy-{p.pk}" else None, instance=p, prefix=f"p{p.pk}"
            ),
        )
        for p in policies
    ]
    new_form = NewPolicyForm(request.POST if which == "new" else None)
    if request.method == "POST":
        if which == "weights" and weights_form.is_valid():
            weights_form.save()
            messages.success(request, "Weights saved; new rankings use them now.")
            return redirect("references:settings")
        for p, f in policy_forms:
            if which == f"policy-{p.pk}" and f.is_valid():
                services.policy_update(activity_type=p.activity_type, **f.cleaned_data)
                messages.success(request, f"Fatigue policy for {p.scope_label.lower()} saved.")
                return redirect("references:settings")
        if which == "new" and new_form.is_valid():
            services.policy_update(activity_type=new_form.cleaned_data["activity_type"])
            messages.success(request, "Added; adjust its limits below.")
            return redirect("references:settings")
    ctx = {"weights_form": weights_form, "policy_forms": policy_forms, "new_form": new_form}
    return render(request, "references/settings.html", ctx)


# --- the advocate's side (hub) --------------------------------------------------------------


@advocate_required
def hub_requests(request):
    items = list(selectors.hub_assignments(contact=request.contact))
    ctx = {"items": items, "accept_form": AcceptForm(), "decline_form": DeclineForm()}
    return render(request, "references/hub_requests.html", ctx)


def _hub_assignment(request, assignment_id: int) -> Assignment:
    a = (
        Assignment.objects.select_related("request", "ask", "contact")
        .filter(pk=assignment_id, contact=request.contact)
        .first()
    )
    if a is None:
        raise Http404
    return a


@require_POST
@advocate_required
def hub_accept(request, assignment_id: int):
    a = _hub_assignment(request, assignment_id)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick at least one time that suits you.")
        return redirect("references:hub-requests")
    try:
        services.assignment_accept(assignment=a, slots=form.slots())
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thank you! We will confirm one of your times shortly.")
    return redirect("references:hub-requests")


@require_POST
@advocate_required
def hub_decline(request, assignment_id: int):
    a = _hub_assignment(request, assignment_id)
    form = DeclineForm(request.POST)
    form.is_valid()
    try:
        services.assignment_decline(assignment=a, reason=form.cleaned_data.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "No problem. We will not ask you again for a while.")
    return redirect("references:hub-requests")
