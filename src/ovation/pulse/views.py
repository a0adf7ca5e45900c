"""Pulse pages: dashboard, campaigns, response inbox, follow-ups, the advocate definition,
untapped promoters, themes; and the public survey page at /s/<token>."""

import csv

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from ovation.activity.models import Activity
from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page

from . import selectors, services, stats
from .forms import CampaignForm, DefinitionForm, FollowUpForm, SurveyForm
from .models import AdvocateDefinition, Campaign, FollowUp, StageTransition, SurveyInvitation
from .segments import DIMENSIONS
from .themes import THEME_LABELS

VIEW = "ovation.view_pulse"
MANAGE = "ovation.manage_pulse"
FOLLOW_UP = "ovation.follow_up"


def _segment(request) -> tuple[str, str]:
    raw = request.GET.get("seg", "all:")
    dimension, _, value = raw.partition(":")
    if dimension not in DIMENSIONS:
        return "all", ""
    return dimension, value


@permission_required(VIEW)
def dashboard(request):
    dimension, value = _segment(request)
    data = selectors.dashboard(
        period_key=request.GET.get("period", "12m"), dimension=dimension, value=value
    )
    data["chart"] = selectors.chart_data(data)
    data["seg_options"] = [
        (f"{dim}:{val}", f"{DIMENSIONS[dim]}: {label}")
        for (dim, val), label in sorted(data["labels"].items(), key=lambda kv: (kv[0][0], kv[1]))
        if dim in DIMENSIONS
    ]
    data["seg"] = f"{dimension}:{value}"
    data["untapped_count"] = selectors.untapped_promoters().count()
    return render_page(request, "pulse/dashboard.html", "pulse/partials/_dashboard.html", data)


# --- campaigns -----------------------------------------------------------------------------


@permission_required(VIEW)
def campaign_list(request):
    ctx = paginate(request, selectors.campaign_list(), per_page=25)
    ctx["rounds"] = selectors.campaign_rounds(list(ctx["page_obj"]))
    merged = stats.merge(r["nps"] for r in ctx["rounds"])
    ctx["merged"] = merged
    return render(request, "pulse/campaign_list.html", ctx)


@permission_required(MANAGE)
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    audience_count = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            audience_count = selectors.campaign_audience(form.audience()).count()
        else:
            send = form.cleaned_data["send"]
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    question=form.cleaned_data["question"],
                    audience=form.audience(),
                    scheduled_at=form.cleaned_data.get("scheduled_at")
                    if send == "schedule"
                    else None,
                    send_now=send == "now",
                    token_ttl_days=form.cleaned_data["token_ttl_days"],
                    reminder_after_days=form.cleaned_data["reminder_after_days"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    {
                        "now": "Campaign is being sent.",
                        "schedule": "Campaign scheduled.",
                        "draft": "Draft saved.",
                    }[send],
                )
                return redirect("pulse:campaign-detail", pk=campaign.pk)
    return render(
        request, "pulse/campaign_form.html", {"form": form, "audience_count": audience_count}
    )


@permission_required(VIEW)
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("created_by"), pk=pk)
    audience_count = None
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        audience_count = selectors.campaign_audience(campaign.audience).count()
    responses = selectors.response_list(campaign_id=str(campaign.pk))[:20]
    labels = selectors.value_labels()
    audience = [
        (DIMENSIONS.get(k, "Not surveyed in (days)"), ", ".join(labels.get((k, v), v) for v in vs))
        if isinstance(vs, list)
        else ("Not surveyed in the last (days)", vs)
        for k, vs in campaign.audience.items()
    ]
    return render(
        request,
        "pulse/campaign_detail.html",
        {
            "campaign": campaign,
            "stats": selectors.campaign_stats(campaign),
            "responses": responses,
            "audience": audience,
            "audience_count": audience_count,
        },
    )


@permission_required(MANAGE)
@require_POST
def campaign_send(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        services.campaign_schedule(campaign=campaign, scheduled_at=None)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Campaign is being sent.")
    return redirect("pulse:campaign-detail", pk=pk)


# --- responses, follow-ups -----------------------------------------------------------------


@permission_required(VIEW)
def response_list(request):
    qs = selectors.response_list(
        q=request.GET.get("q", ""),
        category=request.GET.get("category", ""),
        campaign_id=request.GET.get("campaign", ""),
        theme=request.GET.get("theme", ""),
    )
    ctx = paginate(request, qs, per_page=50)
    ctx.update(
        {
            "themes": THEME_LABELS,
            "campaigns": Campaign.objects.values_list("id", "name")[:100],
            "filters": request.GET,
        }
    )
    return render_page(request, "pulse/response_list.html", "pulse/partials/_responses.html", ctx)


@permission_required(FOLLOW_UP)
def follow_up_list(request):
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status", "open")
    qs = selectors.follow_up_list(user=request.user, status=status, mine=scope != "all")
    counts = dict(
        selectors.follow_up_list(user=request.user, mine=scope != "all")
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    ctx = paginate(request, qs, per_page=25)
    ctx.update(
        {
            "scope": scope,
            "status": status,
            "statuses": FollowUp.Status.choices,
            "status_counts": [(k, label, counts.get(k, 0)) for k, label in FollowUp.Status.choices],
        }
    )
    return render_page(request, "pulse/follow_up_list.html", "pulse/partials/_follow_ups.html", ctx)


@permission_required(FOLLOW_UP)
@require_POST
def follow_up_update(request, pk):
    qs = FollowUp.objects.select_related("contact", "account", "owner", "response")
    if not request.user.has_perm(MANAGE):
        qs = qs.filter(owner=request.user)  # a CSM updates their own follow-ups only
    follow_up = get_object_or_404(qs, pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        follow_up = services.follow_up_update(
            follow_up=follow_up,
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
        if not request.htmx:
            messages.success(request, "Follow-up saved.")
    if request.htmx:
        return render(
            request,
            "pulse/partials/_follow_up_row.html",
            {"f": follow_up, "statuses": FollowUp.Status.choices, "saved": form.is_valid()},
        )
    return redirect(request.POST.get("next") or reverse("pulse:follow-up-list"))


# --- advocate definition, untapped promoters, themes, transitions --------------------------


@permission_required(VIEW)
@require_http_methods(["GET", "POST"])
def definition(request):
    current = services.advocate_definition_current()
    used_kinds = list(Activity.objects.order_by().values_list("kind", flat=True).distinct()[:200])
    extra = [k for k in used_kinds if k not in ("nps.answered", "hub.login", "email.sent", "note")]
    initial = {f: getattr(current, f) for f in services.DEFINITION_FIELDS}
    initial["advocacy_kinds"] = current.advocacy_kinds
    form = DefinitionForm(request.POST or None, initial=initial, extra_kinds=extra)
    if request.method == "POST":
        if not request.user.has_perm(MANAGE):
            return render(request, "403.html", status=403)
        if form.is_valid():
            data = dict(form.cleaned_data)
            kinds = data.pop("advocacy_kinds")
            note = data.pop("note")
            try:
                new = services.advocate_definition_create(
                    actor=request.user, advocacy_kinds=kinds, note=note, **data
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    f"Saved as version {new.version}. Stages are being recomputed.",
                )
                return redirect("pulse:definition")
    versions = AdvocateDefinition.objects.select_related("created_by")[:20]
    return render(
        request,
        "pulse/definition.html",
        {
            "form": form,
            "current": current,
            "versions": versions,
            "can_manage": request.user.has_perm(MANAGE),
        },
    )


@permission_required(VIEW)
def untapped(request):
    qs = selectors.untapped_promoters()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="untapped-promoters-{timezone.localdate()}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(
            ["first_name", "last_name", "email", "title", "account", "csm", "nps", "answered_at"]
        )
        # Emails only for those who may see contact details (docs/permissions.md).
        details = request.user.has_perm("ovation.view_contact_details")
        for c in qs.iterator(chunk_size=2000):
            latest = getattr(c, "nps_latest", None)
            writer.writerow(
                [
                    c.first_name,
                    c.last_name,
                    c.email if details else "",
                    c.title,
                    c.account.name if c.account else "",
                    (c.account.csm_owner.email if c.account and c.account.csm_owner else ""),
                    latest.score if latest else "",
                    latest.answered_at.date().isoformat() if latest else "",
                ]
            )
        return response
    ctx = paginate(request, qs, per_page=50)
    return render(request, "pulse/untapped.html", ctx)


@permission_required(VIEW)
def themes(request):
    period = selectors.period_for(request.GET.get("period", "12m"))
    dimension = request.GET.get("dim", "region")
    if dimension not in ("industry", "region", "employee_band", "csm", "stage"):
        dimension = "region"
    summary = selectors.themes_summary(start=period.start, end=period.end, examples=4)
    matrix = selectors.themes_by_segment(start=period.start, end=period.end, dimension=dimension)
    labels = selectors.value_labels()
    columns = [(v, labels.get((dimension, v), v or "—")) for v in matrix["values"]]
    rows = [
        {
            "theme": t,
            "label": t["label"],
            "cells": [matrix["matrix"].get(t["theme"], {}).get(v, 0) for v, _ in columns],
        }
        for t in summary
    ]
    return render(
        request,
        "pulse/themes.html",
        {
            "period": period,
            "periods": [selectors.period_for(k) for k in selectors.PERIODS],
            "summary": summary,
            "columns": columns,
            "rows": rows,
            "dim": dimension,
            "dims": [(d, DIMENSIONS[d]) for d in ("industry", "region", "employee_band", "csm")],
        },
    )


@permission_required(VIEW)
def transition_list(request):
    qs = StageTransition.objects.select_related("contact", "contact__account", "definition")
    to = request.GET.get("to", "")
    if to:
        qs = qs.filter(to_stage=to)
    ctx = paginate(request, qs.order_by("-occurred_at", "-id"), per_page=50)
    ctx["to"] = to
    return render(request, "pulse/transition_list.html", ctx)


# --- public survey -------------------------------------------------------------------------


# Abuse limits on the public survey page: probing for links is limited per IP; answers are
# limited per link (not per IP: a customer's staff answer from behind one company address).
UNKNOWN_LINK_RATE = "30/m"
ANSWER_RATE = "20/h"


def _limited(request, *, unknown: bool):
    response = render(request, "pulse/survey_limited.html", {"unknown": unknown}, status=429)
    response["Retry-After"] = "60" if unknown else "600"
    return response


def _answer_limited(request, token: str) -> bool:
    return is_ratelimited(
        request,
        group="pulse.survey.answer",
        key=lambda _group, _request: token,
        rate=ANSWER_RATE,
        increment=True,
    )


def _invitation(token: str) -> SurveyInvitation:
    invitation = (
        SurveyInvitation.objects.select_related("contact", "contact__account", "campaign")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise Http404("unknown survey link")
    return invitation


def _existing(invitation):
    try:
        return invitation.response
    except SurveyInvitation.response.RelatedObjectDoesNotExist:
        return None


@require_http_methods(["GET", "POST"])
def survey(request, token):
    """The recipient's page: the 0-10 scale, then the two follow-up questions."""
    try:
        invitation = _invitation(token)
    except Http404:
        if is_ratelimited(
            request, group="pulse.survey.unknown", key="ip", rate=UNKNOWN_LINK_RATE, increment=True
        ):
            return _limited(request, unknown=True)
        raise
    ctx = {"invitation": invitation, "campaign": invitation.campaign, "token": token}
    if invitation.expires_at <= timezone.now():
        return render(request, "pulse/survey_expired.html", ctx, status=410)
    services.invitation_open(invitation=invitation)
    response = _existing(invitation)
    if request.GET.get("thanks") and response is not None:
        return render(request, "pulse/survey_thanks.html", {**ctx, "response": response})
    if request.method == "POST":
        if _answer_limited(request, token):
            return _limited(request, unknown=False)
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                services.response_answer_invitation(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    reason=form.cleaned_data["reason"],
                    improvement=form.cleaned_data["improvement"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(f"{reverse('pulse:survey', args=[token])}?thanks=1")
        return render(
            request,
            "pulse/survey.html",
            {**ctx, "form": form, "score": _int(form["score"].value())},
        )
    score = request.GET.get("score")
    if score is not None:
        if _answer_limited(request, token):
            return _limited(request, unknown=False)
        try:
            response = services.response_answer_invitation(invitation=invitation, score=score)
        except ServiceError as exc:
            ctx["error"] = exc.message
            response = _existing(invitation)
    initial = {}
    if response is not None:
        initial = {
            "score": response.score,
            "reason": response.reason,
            "improvement": response.improvement,
        }
    form = SurveyForm(initial=initial)
    return render(
        request,
        "pulse/survey.html",
        {**ctx, "form": form, "response": response, "score": initial.get("score")},
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@csrf_exempt  # RFC 8058 one-click unsubscribe posts without a CSRF token; the token is the key
@require_http_methods(["GET", "POST"])
def survey_unsubscribe(request, token):
    invitation = _invitation(token)
    done = False
    if request.method == "POST":
        services.survey_opt_out(invitation=invitation)
        done = True
    else:
        done = hasattr(invitation.contact, "nps_opt_out")
    return render(
        request,
        "pulse/survey_unsubscribe.html",
        {"invitation": invitation, "token": token, "done": done},
    )
