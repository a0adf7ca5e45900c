"""Pages of the motivation engine: the advocate's "For you" hub page, the staff contact
profile, the campaign builder, calibration and the ask-type settings. Views parse, authorise,
call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import permission_required, render_page
from ovation.directory.models import Contact, Industry, Region
from ovation.hub.access import advocate_required

from . import campaigns, model, selectors, services
from .models import Campaign, Prediction

MANAGE = "ovation.manage_programs"
VIEW = "ovation.view_directory"


# --- hub ----------------------------------------------------------------------------------------


@advocate_required
def hub_recommended_panel(request):
    """The hub home's "Recommended for you" panel, loaded after the page (htmx) so the home page
    stays fast; showing it records the predictions the model learns from."""
    recommendations = services.recommendations_show(contact=request.contact, limit=3)
    return render(
        request, "motivation/partials/_hub_recommended.html", {"recommendations": recommendations}
    )


@advocate_required
def hub_for_you(request):
    contact = request.contact
    rs = selectors.hub_for_you(contact=contact, limit=3)
    services.predictions_record(contact=contact, recommendations=rs.recommended, context="hub")
    return render(
        request,
        "motivation/hub_for_you.html",
        {
            "contact": contact,
            "recommendations": rs.recommended,
            "others": rs.others,
            "resting": rs.excluded,
            "answered": bool(rs.state.answers),
        },
    )


@advocate_required
@require_POST
def hub_not_for_me(request):
    contact = request.contact
    rs = selectors.hub_for_you(contact=contact, limit=50)
    key = request.POST.get("key", "")
    rec = next((r for r in rs.all_ranked if r.key == key), None)
    if rec is None:
        raise Http404
    services.motivation_response_record(
        contact=contact,
        ask_type=rec.ask_type.key,
        outcome="declined",
        target_type=rec.target_type,
        target_id=rec.target_id,
        label=rec.title,
        probability=rec.probability,
    )
    messages.success(request, f"Got it: we won't suggest “{rec.title}” again for a while.")
    return redirect("motivation:hub-for-you")


# --- staff: contact profile ---------------------------------------------------------------------


@permission_required(VIEW)
def contact_profile(request, contact_id: int):
    contact = get_object_or_404(Contact.objects.select_related("account"), pk=contact_id)
    view = selectors.profile_view(contact=contact)
    next_best = selectors.next_best_asks(contact=contact, limit=5)
    return render(
        request,
        "motivation/contact_profile.html",
        {"contact": contact, "view": view, "next_best": next_best, "chart": view.chart},
    )


# --- staff: campaigns ---------------------------------------------------------------------------


def _campaign_input(data) -> dict:
    target = data.get("target", "") or ""
    target_type, _, target_id = target.partition(":")
    if target_type not in Campaign.Target.values:
        target_type, target_id = "ask_type", "0"
    try:
        size = int(data.get("size") or 25)
    except ValueError:
        raise ServiceError("enter a whole number of advocates", field="size") from None
    filters = {
        "stages": data.getlist("stages") if hasattr(data, "getlist") else data.get("stages", []),
        "industry": data.get("industry") or "",
        "region": data.get("region") or "",
        "persona": data.get("persona") or "",
        "seniority": data.get("seniority") or "",
        "hub_only": bool(data.get("hub_only")),
    }
    for key in ("industry", "region"):
        if filters[key] and not str(filters[key]).isdigit():
            raise ServiceError(f"unknown {key}", field=key)
        filters[key] = int(filters[key]) if filters[key] else ""
    return {
        "ask_type": data.get("ask_type") or "",
        "target_type": target_type,
        "target_id": int(target_id) if str(target_id).isdigit() else 0,
        "size": size,
        "filters": {k: v for k, v in filters.items() if v},
    }


def _target_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Upcoming events, open hub challenges and active programs a campaign can invite to."""
    from ovation.hub.models import Challenge
    from ovation.programs.models import Event, Program

    now = timezone.now()
    events = Event.objects.filter(status="scheduled", starts_at__gt=now).order_by("starts_at")
    challenges = Challenge.objects.filter(status="published").order_by("title")
    programs = Program.objects.filter(is_active=True).order_by("name")
    groups = [
        ("Events", [(f"event:{e.pk}", f"{e.title} ({e.starts_at:%d %b})") for e in events[:100]]),
        (
            "Hub challenges",
            [(f"challenge:{c.pk}", c.title) for c in challenges[:200] if c.is_live(now)],
        ),
        ("Programs", [(f"program:{p.pk}", p.name) for p in programs[:100]]),
    ]
    return [g for g in groups if g[1]]


@permission_required(MANAGE)
def campaign_builder(request):
    form = request.GET
    plan, error = None, None
    if form.get("preview"):
        try:
            args = _campaign_input(form)
            plan = campaigns.campaign_plan(**args)
        except ServiceError as exc:
            error = exc
    ctx = {
        "form": form,
        "plan": plan,
        "error": error,
        "ask_types": selectors.ask_type_list().filter(is_active=True),
        "target_groups": _target_groups(),
        "industries": Industry.objects.order_by("name"),
        "regions": Region.objects.order_by("name"),
        "stages": Contact.Stage.choices,
        "personas": Contact.Persona.choices,
        "seniorities": Contact.Seniority.choices,
        "chosen_stages": form.getlist("stages") or campaigns.DEFAULT_STAGES,
        "campaigns": selectors.campaign_list()[:20],
    }
    return render_page(
        request, "motivation/campaigns.html", "motivation/partials/_campaign_plan.html", ctx
    )


@permission_required(MANAGE)
@require_POST
def campaign_send(request):
    try:
        args = _campaign_input(request.POST)
        campaign = services.campaign_send(
            name=request.POST.get("name", ""),
            message=request.POST.get("message", ""),
            actor=request.user,
            **args,
        )
    except ServiceError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return redirect(f"{reverse('motivation:staff-home')}?{request.POST.urlencode()}")
    messages.success(
        request,
        f"Invited {campaign.invited_count} advocate{'s' if campaign.invited_count != 1 else ''}"
        f" within the ask budget ({campaign.excluded_count} excluded).",
    )
    return redirect("motivation:campaign-detail", pk=campaign.pk)


@permission_required(MANAGE)
def campaign_detail(request, pk: int):
    try:
        campaign = selectors.campaign_get(pk=pk)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc
    invitees = list(selectors.campaign_invitees(campaign=campaign))
    return render(
        request,
        "motivation/campaign_detail.html",
        {"campaign": campaign, "invitees": invitees},
    )


@permission_required(MANAGE)
@require_POST
def campaign_respond(request, pk: int, prediction_id: int):
    pred = get_object_or_404(Prediction, pk=prediction_id, campaign_id=pk)
    try:
        services.campaign_respond(
            prediction=pred, outcome=request.POST.get("outcome", ""), actor=request.user
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("motivation:campaign-detail", pk=pk)


# --- staff: calibration and settings ------------------------------------------------------------


@permission_required(VIEW)
def calibration(request):
    summary = selectors.calibration_summary(context=request.GET.get("context") or None)
    rows = selectors.acceptance_by_motivator_and_type()
    matrix: dict[str, dict] = {}
    for r in rows:
        row = matrix.setdefault(
            r["ask_type"],
            {"label": r["ask_type_label"], "asked": r["asked"], "accepted": r["accepted"],
             "rate": r["rate"], "cells": {}},
        )  # fmt: skip
        row["cells"][r["motivator"]] = r["rate"]
    table = [
        {**row, "cells": [row["cells"].get(m) for m in model.MOTIVATORS]}
        for row in sorted(matrix.values(), key=lambda row: -row["asked"])
    ]
    return render(
        request,
        "motivation/calibration.html",
        {
            "s": summary,
            "chart": summary["chart"],
            "matrix": table,
            "motivator_labels": [model.MOTIVATOR_LABELS[m] for m in model.MOTIVATORS],
            "by_motivator": selectors.acceptance_by_motivator(),
            "prior": selectors.population(),
            "contexts": Prediction.Context.choices,
            "context": request.GET.get("context", ""),
        },
    )


@permission_required(MANAGE)
def ask_type_settings(request):
    types = list(selectors.ask_type_list())
    if not types:
        services.ask_types_ensure()
        types = list(selectors.ask_type_list())
    errors = None
    if request.method == "POST":
        rows = {}
        for t in types:
            rows[t.key] = {
                "value": request.POST.get(f"{t.key}__value", t.value),
                "fatigue_cost": request.POST.get(f"{t.key}__fatigue_cost", t.fatigue_cost),
                "uses_budget": request.POST.get(f"{t.key}__uses_budget") == "on",
                "is_active": request.POST.get(f"{t.key}__is_active") == "on",
                "motivators": {
                    m: request.POST.get(f"{t.key}__{m}", 0) or 0 for m in model.MOTIVATORS
                },
            }
        try:
            services.ask_types_update(rows=rows)
        except ServiceError as exc:
            errors = exc
        else:
            messages.success(request, "Ask types saved. Recommendations use them at once.")
            return redirect("motivation:settings")
    return render(
        request,
        "motivation/settings.html",
        {
            "types": types,
            "motivators": [(m, model.MOTIVATOR_LABELS[m]) for m in model.MOTIVATORS],
            "error": errors,
            "posted": request.POST if request.method == "POST" else None,
        },
    )


def staff_index(request):
    return redirect("motivation:staff-home")
