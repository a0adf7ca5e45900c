"""The rule builder: a rule form plus condition and action formsets. Forms only parse; the
services validate (and name the field at fault)."""

from django import forms
from django.forms import formset_factory

from ovation.activity.models import Activity
from ovation.directory.models import Contact

from . import conditions as cond
from .email import EMAIL_TEMPLATES
from .models import AutomationRule, WebhookEndpoint
from .services import ACTION_TYPES, INVITE_TARGETS

EVENT_TYPES = sorted(
    {
        *Activity.Kind.values,
        "contact.stage_changed",
        "submission.approved",
        "reward.redeemed",
        "reference.completed",
        "referral.converted",
        "idea.shipped",
        "level.reached",
        "crm.opportunity_closed",
        "contact.erased",
    }
)
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(choices=AutomationRule.Trigger.choices)
    event_type = forms.CharField(
        required=False,
        max_length=80,
        widget=forms.TextInput(
            attrs={"list": "event-types", "placeholder": "e.g. referral.converted"}
        ),
    )
    frequency = forms.ChoiceField(
        required=False, choices=[("", "—"), *AutomationRule.Frequency.choices]
    )
    weekday = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "—"), *WEEKDAYS]
    )
    run_at = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    date_field = forms.ChoiceField(
        required=False, choices=[("", "—"), *AutomationRule.DateField.choices]
    )
    days_before = forms.IntegerField(required=False, min_value=0, max_value=365)
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "company time zone"}),
    )
    delay_amount = forms.IntegerField(required=False, min_value=0, max_value=10000)
    delay_unit = forms.ChoiceField(choices=AutomationRule.DelayUnit.choices, initial="days")
    rate_limit_count = forms.IntegerField(required=False, min_value=0, max_value=1000)
    rate_limit_days = forms.IntegerField(required=False, min_value=0, max_value=3650)


class ConditionForm(forms.Form):
    field = forms.CharField(
        required=False,
        max_length=80,
        widget=forms.TextInput(
            attrs={"list": "condition-fields", "placeholder": "e.g. contact.stage"}
        ),
    )
    op = forms.ChoiceField(required=False, choices=[("", "—"), *cond.OPERATORS.items()])
    value = forms.CharField(required=False, max_length=500)


class ActionForm(forms.Form):
    type = forms.ChoiceField(required=False, choices=[("", "— no action —"), *ACTION_TYPES.items()])
    points = forms.IntegerField(required=False, min_value=1, max_value=100000)
    reason = forms.CharField(required=False, max_length=200)
    badge = forms.CharField(required=False, max_length=100)
    to = forms.ChoiceField(
        required=False, choices=[("contact", "the contact"), ("csm", "the account's CSM")]
    )
    template = forms.ChoiceField(
        required=False,
        choices=[(k, v["label"]) for k, v in EMAIL_TEMPLATES.items() if k != "webhook_disabled"],
    )
    subject = forms.CharField(required=False, max_length=300)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "https://hooks.slack.com/services/…"}),
    )
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    endpoint_id = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    title = forms.CharField(required=False, max_length=300)
    due_in_days = forms.IntegerField(required=False, min_value=0, max_value=365)
    stage = forms.ChoiceField(required=False, choices=[("", "—"), *Contact.Stage.choices])
    target = forms.ChoiceField(required=False, choices=list(INVITE_TARGETS.items()))
    name = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint_id"].choices = [("", "—")] + [
            (e.pk, e.description or e.url) for e in WebhookEndpoint.objects.order_by("id")
        ]


ConditionFormSet = formset_factory(ConditionForm, extra=2, max_num=20)
ActionFormSet = formset_factory(ActionForm, extra=2, max_num=10)

ACTION_PARAMS = {
    "award_points": ["points", "reason"],
    "award_badge": ["badge"],
    "send_email": ["to", "template", "subject", "body"],
    "post_slack": ["url", "text"],
    "call_webhook": ["endpoint_id"],
    "create_task": ["title", "due_in_days"],
    "change_stage": ["stage"],
    "invite": ["target", "name"],
}


def conditions_from_formset(formset) -> list[dict]:
    out = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if not data or not (data.get("field") or "").strip():
            continue
        out.append(
            {
                "field": data["field"].strip(),
                "op": data.get("op") or "",
                "value": data.get("value", ""),
            }
        )
    return out


def actions_from_formset(formset) -> list[dict]:
    out = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        kind = data.get("type") if data else None
        if not kind:
            continue
        item = {"type": kind}
        for param in ACTION_PARAMS[kind]:
            value = data.get(param)
            if value not in (None, ""):
                item[param] = value
        out.append(item)
    return out


def rule_initial(rule: AutomationRule) -> tuple[dict, list[dict], list[dict]]:
    initial = {
        f: getattr(rule, f)
        for f in [
            "name",
            "description",
            "trigger",
            "event_type",
            "frequency",
            "weekday",
            "run_at",
            "date_field",
            "days_before",
            "time_zone",
            "delay_amount",
            "delay_unit",
            "rate_limit_count",
            "rate_limit_days",
        ]
    }
    conditions = []
    for c in rule.conditions:
        value = c.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        conditions.append({"field": c["field"], "op": c["op"], "value": value})
    return initial, conditions, [dict(a) for a in rule.actions]
