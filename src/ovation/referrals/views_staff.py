"""Staff pages (advocacy managers): the funnel, programs, the leads list with fraud flags and
review actions, a lead's detail and history, CSV export."""

import csv
from datetime import datetime

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page

from . import selectors, services
from .forms import ProgramForm, ReviewForm, RewardRulesForm, StageForm
from .fraud import RULE_LABELS
from .models import Referral, ReferralEvent, ReferralProgram

PERM = "ovation.manage_programs"
RANGES = {"30": 30, "90": 90, "365": 365, "730": 730}


def _range(request) -> tuple[datetime, datetime, str]:
    key = request.GET.get("days", "90")
    days = RANGES.get(key, 90)
    start, end = selectors.default_range(days)
    return start, end, str(days)


def _program_id(request) -> int | None:
    value = request.GET.get("program", "")
    return int(value) if value.isdigit() else None


@permission_required(PERM)
def staff_home(request):
    start, end, days = _range(request)
    program_id = _program_id(request)
    data = selectors.analytics(start=start, end=end, program_id=program_id)
    return render(
        request,
        "referrals/staff_home.html",
        {
            **data,
            "programs": ReferralProgram.objects.order_by("name"),
            "program_id": program_id,
            "days": days,
            "chart": data["over_time"],
        },
    )


@permission_required(PERM)
def analytics_csv(request):
    start, end, _ = _range(request)
    data = selectors.analytics(start=start, end=end, program_id=_program_id(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="referral-funnel.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["segment", "name", "clicks", "leads", "qualified", "won", "revenue", "lead_to_won_pct"]
    )

    def row(segment, name, f):
        writer.writerow(
            [segment, name, f.clicks, f.leads, f.qualified, f.won, f.revenue, f.lead_to_won or ""]
        )

    row("total", "all", data["total"])
    for program, f in data["per_program"]:
        row("program", program.name if program else "", f)
    for label, f in data["per_channel"]:
        row("channel", label, f)
    for t in data["top_referrers"]:
        row("referrer", f"{t['name']} ({t['account']})", t["funnel"])
    for w in data["over_time"]:
        writer.writerow(["week", w["week"], w["clicks"], w["leads"], "", w["won"], "", ""])
    return response


@permission_required(PERM)
def program_list(request):
    return render(request, "referrals/program_list.html", {"programs": selectors.program_list()})


@permission_required(PERM)
def program_edit(request, pk: int | None = None):
    program = get_object_or_404(ReferralProgram, pk=pk) if pk else ReferralProgram()
    form = ProgramForm(request.POST or None, request.FILES or None, instance=program)
    rules = RewardRulesForm(request.POST or None, program=program, prefix="r")
    if request.method == "POST" and form.is_valid() and rules.is_valid():
        try:
            with transaction.atomic():
                saved = services.program_save(
                    program=form.save(commit=False),
                    rules=rules.rules(),
                    actor=request.user,
                    image=form.cleaned_data.get("image"),
                    remove_image=form.cleaned_data.get("remove_image", False),
                )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            selectors.link_cache_clear()
            messages.success(request, f"Program “{saved.name}” saved.")
            return redirect("referrals:program-list")
    return render(
        request,
        "referrals/program_form.html",
        {"form": form, "rules": rules, "program": program},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(PERM)
def lead_list(request):
    qs = selectors.referral_list(
        program_id=_program_id(request),
        status=request.GET.get("status") or None,
        review=request.GET.get("review") or None,
        q=(request.GET.get("q") or "").strip()[:100],
    )
    ctx = {
        **paginate(request, qs, per_page=50),
        "programs": ReferralProgram.objects.order_by("name"),
        "statuses": Referral.Status.choices,
        "reviews": Referral.Review.choices,
        "rule_labels": RULE_LABELS,
        "f": request.GET,
        "flagged": Referral.objects.filter(review=Referral.Review.FLAGGED).count(),
    }
    return render_page(request, "referrals/lead_list.html", "referrals/partials/_leads.html", ctx)


@permission_required(PERM)
def lead_detail(request, pk: int):
    referral = selectors.referral_get(referral_id=pk)
    if referral is None:
        raise Http404
    return render(
        request,
        "referrals/lead_detail.html",
        {
            "r": referral,
            "flags": selectors.flag_labels(referral),
            "stage_form": StageForm(
                initial={"status": referral.status, "amount": referral.deal_amount}
            ),
            "review_form": ReviewForm(),
            "referrer_reason": selectors.referral_reason_for_referrer(referral),
        },
    )


@require_POST
@permission_required(PERM)
def lead_stage(request, pk: int):
    form = StageForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("referrals:lead-detail", pk=pk)
    try:
        referral = services.referral_transition(
            referral_id=pk,
            to_status=form.cleaned_data["status"],
            amount=form.cleaned_data.get("amount"),
            reason=form.cleaned_data.get("reason") or "",
            actor=request.user,
            source=ReferralEvent.Source.UI,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Referral is now {referral.get_status_display().lower()}.")
    return redirect("referrals:lead-detail", pk=pk)


@require_POST
@permission_required(PERM)
def lead_review(request, pk: int):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect("referrals:lead-detail", pk=pk)
    try:
        services.referral_review(
            referral_id=pk,
            approve=form.cleaned_data["decision"] == "approve",
            actor=request.user,
            note=form.cleaned_data.get("note") or "",
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Approved: rewards are paid for the stages reached."
            if form.cleaned_data["decision"] == "approve"
            else "Rejected: the referrer sees that it did not count.",
        )
    nxt = request.POST.get("next", "")
    if nxt == "list":
        return redirect("referrals:lead-list")
    return redirect("referrals:lead-detail", pk=pk)
