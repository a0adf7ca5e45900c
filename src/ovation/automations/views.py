"""Staff pages: rules (builder, dry run, history), follow-ups, webhook endpoints and their
delivery log, email previews, background jobs; plus two public entry points (unsubscribe and
the inbound CRM hook)."""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.directory.models import Contact

from . import conditions as cond
from . import email as mail
from . import selectors, services, webhooks
from .forms import (
    ACTION_PARAMS,
    EVENT_TYPES,
    ActionFormSet,
    ConditionFormSet,
    RuleForm,
    actions_from_formset,
    conditions_from_formset,
    rule_initial,
)
from .models import AutomationRule, FollowUpTask, RuleRun, WebhookDelivery, WebhookEndpoint

PERM = "ovation.manage_programs"


def _trigger_summary(rule: AutomationRule) -> str:
    if rule.trigger == "event":
        return f"When {rule.event_type} happens"
    at = rule.run_at.strftime("%H:%M") if rule.run_at else "09:00"
    tz = rule.time_zone or selectors.company_time_zone()
    if rule.trigger == "schedule":
        if rule.frequency == "weekly":
            day = dict(
                enumerate(
                    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
                )
            ).get(rule.weekday or 0)
            return f"Every {day} at {at} ({tz})"
        return f"Every day at {at} ({tz})"
    if rule.date_field == "renewal":
        return f"{rule.days_before} days before renewal, at {at} ({tz})"
    return f"On the customer anniversary, at {at} ({tz})"


def _action_summary(action: dict) -> str:
    kind = action.get("type")
    label = services.ACTION_TYPES.get(kind, kind)
    if kind == "award_points":
        return f"Award {action.get('points')} points"
    if kind == "award_badge":
        return f"Award the badge “{action.get('badge')}”"
    if kind == "send_email":
        who = "the CSM" if action.get("to") == "csm" else "the contact"
        subject = action.get("subject") or mail.EMAIL_TEMPLATES.get(action.get("template"), {}).get(
            "label", ""
        )
        return f"Email {who}: {subject}"
    if kind == "post_slack":
        return "Post to Slack" + ("" if action.get("url") else " (URL missing)")
    if kind == "create_task":
        return f"Task for the CSM: {action.get('title')}"
    if kind == "change_stage":
        return f"Change stage to {action.get('stage')}"
    if kind == "invite":
        return f"Invite to {action.get('target')} {action.get('name') or ''}".strip()
    return label


def _decorate(rule: AutomationRule) -> AutomationRule:
    rule.trigger_summary = _trigger_summary(rule)
    rule.action_summaries = [_action_summary(a) for a in rule.actions]
    rule.condition_summaries = [cond.condition_describe(c) for c in rule.conditions]
    return rule


@permission_required(PERM)
def rule_list(request):
    rules = [_decorate(r) for r in selectors.rule_list()]
    custom = [r for r in rules if not r.recipe_key or r.is_enabled]
    recipes = [r for r in rules if r.recipe_key and not r.is_enabled]
    open_tasks = FollowUpTask.objects.filter(is_done=False).count()
    return render(
        request,
        "automations/rule_list.html",
        {"rules": custom, "recipes": recipes, "open_tasks": open_tasks, "section": "rules"},
    )


def _builder_context(form, conditions, actions, rule=None):
    return {
        "form": form,
        "conditions": conditions,
        "actions": actions,
        "rule": rule,
        "event_types": EVENT_TYPES,
        "fields": cond.FIELDS,
        "action_params": ACTION_PARAMS,
        "section": "rules",
    }


def _rule_save(request, rule: AutomationRule | None):
    form = RuleForm(request.POST)
    conditions = ConditionFormSet(request.POST, prefix="cond")
    actions = ActionFormSet(request.POST, prefix="act")
    if form.is_valid() and conditions.is_valid() and actions.is_valid():
        fields = dict(form.cleaned_data.items())
        fields["conditions"] = conditions_from_formset(conditions)
        fields["actions"] = actions_from_formset(actions)
        try:
            if rule is None:
                rule = services.rule_create(actor=request.user, **fields)
                messages.success(
                    request,
                    f"Rule “{rule.name}” saved (disabled). Run the dry run, then enable it.",
                )
            else:
                rule = services.rule_update(rule=rule, **fields)
                messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("automations:rule-detail", rule.pk)
        except ServiceError as exc:
            _attach_error(exc, form, conditions, actions)
    return render(
        request, "automations/rule_form.html", _builder_context(form, conditions, actions, rule)
    )


def _attach_error(exc: ServiceError, form, conditions, actions) -> None:
    field = exc.field or ""
    parts = field.split(".")
    if parts[0] == "conditions" and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1]) - 1
        forms_with_data = [f for f in conditions.forms if (f.cleaned_data or {}).get("field")]
        target = forms_with_data[index] if index < len(forms_with_data) else None
        if target is not None:
            name = parts[2] if len(parts) > 2 and parts[2] in target.fields else None
            target.add_error(name, exc.message)
            return
    if parts[0] == "actions" and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1]) - 1
        forms_with_data = [f for f in actions.forms if (f.cleaned_data or {}).get("type")]
        target = forms_with_data[index] if index < len(forms_with_data) else None
        if target is not None:
            name = parts[2] if len(parts) > 2 and parts[2] in target.fields else None
            target.add_error(name, exc.message)
            return
    name = field if field in form.fields else None
    form.add_error(name, exc.message)


@permission_required(PERM)
def rule_create(request):
    if request.method == "POST":
        return _rule_save(request, None)
    form = RuleForm(initial={"trigger": "event", "delay_unit": "days"})
    return render(
        request,
        "automations/rule_form.html",
        _builder_context(form, ConditionFormSet(prefix="cond"), ActionFormSet(prefix="act")),
    )


@permission_required(PERM)
def rule_edit(request, rule_id: int):
    rule = get_object_or_404(AutomationRule, pk=rule_id)
    if request.method == "POST":
        return _rule_save(request, rule)
    initial, conditions, actions = rule_initial(rule)
    return render(
        request,
        "automations/rule_form.html",
        _builder_context(
            RuleForm(initial=initial),
            ConditionFormSet(prefix="cond", initial=conditions),
            ActionFormSet(prefix="act", initial=actions),
            rule,
        ),
    )


@permission_required(PERM)
def rule_detail(request, rule_id: int):
    rule = _decorate(get_object_or_404(AutomationRule, pk=rule_id))
    status = request.GET.get("status") or None
    if status not in RuleRun.Status.values:
        status = None
    ctx = {
        "rule": rule,
        "status": status,
        "statuses": RuleRun.Status.choices,
        "dry_run": rule.last_dry_run or None,
        "dry_run_fresh": bool(rule.last_dry_run_at and rule.last_dry_run_at >= rule.updated_at),
        "section": "rules",
        **paginate(request, selectors.run_list(rule=rule, status=status), per_page=25),
    }
    return render_page(
        request, "automations/rule_detail.html", "automations/partials/_runs.html", ctx
    )


@permission_required(PERM)
@require_POST
def rule_dry_run(request, rule_id: int):
    rule = get_object_or_404(AutomationRule, pk=rule_id)
    result = services.rule_dry_run(rule=rule)
    ctx = {"rule": _decorate(rule), "dry_run": result, "dry_run_fresh": True}
    if request.htmx:
        return render(request, "automations/partials/_dry_run.html", ctx)
    return redirect("automations:rule-detail", rule.pk)


@permission_required(PERM)
@require_POST
def rule_toggle(request, rule_id: int):
    rule = get_object_or_404(AutomationRule, pk=rule_id)
    enable = request.POST.get("enable") == "1"
    try:
        services.rule_set_enabled(rule=rule, is_enabled=enable)
    except ServiceError as exc:
        messages.error(request, f"Not enabled: {exc.message}. Edit the rule first.")
        return redirect("automations:rule-detail", rule.pk)
    messages.success(request, f"“{rule.name}” is {'enabled' if enable else 'disabled'}.")
    return redirect("automations:rule-detail", rule.pk)


@permission_required(PERM)
@require_POST
def rule_delete(request, rule_id: int):
    rule = get_object_or_404(AutomationRule, pk=rule_id)
    if rule.recipe_key:
        messages.error(request, "Built-in recipes cannot be deleted; leave them disabled.")
        return redirect("automations:rule-detail", rule.pk)
    name = rule.name
    rule.delete()
    messages.success(request, f"Rule “{name}” deleted.")
    return redirect("automations:rule-list")


# --- follow-ups -----------------------------------------------------------------------------


@permission_required("ovation.follow_up")
def follow_up_list(request):
    mine = request.GET.get("mine") == "1" or not request.user.has_perm(PERM)
    include_done = request.GET.get("done") == "1"
    qs = selectors.follow_up_list(user=request.user if mine else None, include_done=include_done)
    ctx = {
        "mine": mine,
        "include_done": include_done,
        "section": "follow-ups",
        **paginate(request, qs),
    }
    return render(request, "automations/follow_up_list.html", ctx)


@permission_required("ovation.follow_up")
@require_POST
def follow_up_done(request, task_id: int):
    qs = FollowUpTask.objects.all()
    if not request.user.has_perm(PERM):
        qs = qs.filter(assignee=request.user)
    task = get_object_or_404(qs, pk=task_id)
    services.follow_up_complete(task=task)
    messages.success(request, f"Done: {task.title}")
    return redirect(request.POST.get("next") or reverse("automations:follow-up-list"))


# --- webhooks -------------------------------------------------------------------------------


@permission_required(PERM)
def endpoint_list(request):
    new_secret = None
    if request.method == "POST":
        try:
            endpoint, new_secret = webhooks.endpoint_create(
                url=request.POST.get("url", ""),
                event_types=request.POST.get("event_types", ""),
                description=request.POST.get("description", ""),
                actor=request.user,
            )
            request.session["automations_new_secret"] = [endpoint.pk, new_secret]
            return redirect("automations:endpoint-detail", endpoint.pk)
        except ServiceError as exc:
            messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
    ctx = {
        "endpoints": selectors.endpoint_list(),
        "event_types": EVENT_TYPES,
        "form_data": request.POST if request.method == "POST" else {},
        "section": "webhooks",
        "recent_failures": selectors.delivery_list(status="failed")[:5],
    }
    return render(request, "automations/endpoint_list.html", ctx)


@permission_required(PERM)
def endpoint_detail(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    new_secret = None
    stored = request.session.pop("automations_new_secret", None)
    if stored and stored[0] == endpoint.pk:
        new_secret = stored[1]
    status = request.GET.get("status") or None
    if status not in WebhookDelivery.Status.values:
        status = None
    ctx = {
        "endpoint": endpoint,
        "new_secret": new_secret,
        "status": status,
        "statuses": WebhookDelivery.Status.choices,
        "section": "webhooks",
        "now": timezone.now(),
        **paginate(request, selectors.delivery_list(endpoint=endpoint, status=status), per_page=25),
    }
    return render(request, "automations/endpoint_detail.html", ctx)


@permission_required(PERM)
@require_POST
def endpoint_action(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    action = request.POST.get("action")
    try:
        if action == "rotate":
            hours = int(request.POST.get("overlap_hours") or 24)
            secret = webhooks.endpoint_rotate_secret(endpoint=endpoint, overlap_hours=hours)
            request.session["automations_new_secret"] = [endpoint.pk, secret]
            messages.success(
                request, f"New secret created; the old one keeps signing for {hours} hours."
            )
        elif action == "enable":
            webhooks.endpoint_set_enabled(endpoint=endpoint, is_enabled=True)
            messages.success(request, "Endpoint enabled; pending deliveries go out now.")
        elif action == "disable":
            webhooks.endpoint_set_enabled(endpoint=endpoint, is_enabled=False)
            messages.success(request, "Endpoint disabled; events are kept until you enable it.")
        elif action == "test":
            webhooks.endpoint_send_test(endpoint=endpoint)
            messages.success(request, "Test event queued.")
        elif action == "update":
            webhooks.endpoint_update(
                endpoint=endpoint,
                url=request.POST.get("url", ""),
                event_types=request.POST.get("event_types", ""),
                description=request.POST.get("description", ""),
            )
            messages.success(request, "Endpoint saved.")
        elif action == "delete":
            webhooks.endpoint_delete(endpoint=endpoint)
            messages.success(request, "Endpoint deleted.")
            return redirect("automations:endpoint-list")
        else:
            messages.error(request, "Unknown action.")
    except (ServiceError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return redirect("automations:endpoint-detail", endpoint.pk)


@permission_required(PERM)
def delivery_detail(request, delivery_id: int):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint", "event"), pk=delivery_id
    )
    return render(
        request,
        "automations/delivery_detail.html",
        {"delivery": delivery, "attempts": delivery.log.all(), "section": "webhooks"},
    )


@permission_required(PERM)
@require_POST
def delivery_replay(request, delivery_id: int):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=delivery_id)
    try:
        webhooks.delivery_replay(delivery=delivery)
        messages.success(request, f"Replay of {delivery.message_id} queued (same webhook-id).")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("automations:delivery-detail", delivery.pk)


# --- email ----------------------------------------------------------------------------------


@permission_required(PERM)
def email_list(request):
    from .models import EmailMessage

    templates = [{"name": k, **v} for k, v in mail.EMAIL_TEMPLATES.items()]
    outbox = EmailMessage.objects.order_by("-created_at")[:20]
    return render(
        request,
        "automations/email_list.html",
        {"templates": templates, "outbox": outbox, "section": "emails"},
    )


@permission_required(PERM)
def email_preview(request, name: str):
    if name not in mail.EMAIL_TEMPLATES:
        raise Http404("no such template")
    sample = dict(mail.EMAIL_TEMPLATES[name]["sample"])
    sample["unsubscribe_url"] = "#unsubscribe"
    subject, text, html = mail.email_render(template=name, context=sample)
    if request.GET.get("part") == "html":
        response = HttpResponse(html)
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
        )
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response
    return render(
        request,
        "automations/email_preview.html",
        {
            "name": name,
            "label": mail.EMAIL_TEMPLATES[name]["label"],
            "subject": subject,
            "text": text,
            "html": html,
            "section": "emails",
        },
    )


def unsubscribe(request, token: str):
    """Public: one-click opt-out from a kind of email (or all), from the link in each email."""
    try:
        contact_id, event_type = mail.unsubscribe_read(token)
    except signing.BadSignature:
        return render(request, "automations/unsubscribe.html", {"invalid": True}, status=400)
    contact = get_object_or_404(Contact, pk=contact_id)
    done = None
    if request.method == "POST":
        scope = request.POST.get("scope")
        chosen = "*" if scope == "all" else event_type
        mail.email_preference_set(contact=contact, event_type=chosen, is_opted_out=True)
        done = "all" if chosen == "*" else "this"
    return render(
        request,
        "automations/unsubscribe.html",
        {"contact": contact, "event_type": event_type, "done": done},
    )


# --- jobs -----------------------------------------------------------------------------------


@permission_required(PERM)
def job_list(request):
    available = selectors.jobs_available()
    from django.conf import settings

    backend = settings.TASKS["default"]["BACKEND"]
    ctx = {"available": available, "section": "jobs", "immediate": "immediate" in backend.lower()}
    if available:
        status = request.GET.get("status") or None
        if status not in {"READY", "RUNNING", "FAILED"}:
            status = None
        ctx.update(
            status=status,
            counts=selectors.job_counts(),
            **paginate(request, selectors.job_list(status=status), per_page=50),
        )
    ctx["pending_deliveries"] = WebhookDelivery.objects.filter(status="pending").count()
    ctx["failed_runs"] = RuleRun.objects.filter(status="failed").count()
    return render(request, "automations/jobs.html", ctx)


@permission_required(PERM)
@require_POST
def job_retry(request, job_id: str):
    """Enqueue a fresh copy of a failed task (same arguments) and drop the failed row."""
    from django_tasks_db.models import DBTaskResult

    if not selectors.jobs_available():
        raise PermissionDenied
    with transaction.atomic():
        job = DBTaskResult.objects.select_for_update().filter(pk=job_id, status="FAILED").first()
        if job is None:
            messages.error(request, "That job is no longer failed (already retried?).")
            return redirect("automations:job-list")
        task = job.task
        args, kwargs = job.args_kwargs["args"], job.args_kwargs["kwargs"]
        job.delete()
        transaction.on_commit(lambda: task.using(run_after=timezone.now()).enqueue(*args, **kwargs))
    messages.success(request, f"{job.task_name} queued again.")
    return redirect("automations:job-list")


# --- inbound --------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def crm_hook(request):
    """Plain-Django twin of POST /api/v1/webhooks/inbound/crm."""
    from .api import crm_response

    try:
        return crm_response(request)
    except ServiceError as exc:
        return JsonResponse(
            {"title": "refused", "status": exc.status, "detail": exc.message, "field": exc.field},
            status=exc.status,
            content_type="application/problem+json",
        )
