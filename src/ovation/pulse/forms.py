"""Forms: input parsing and validation messages only (the rules live in services.py)."""

from django import forms
from django.utils import timezone

from ovation.directory.models import Account, Contact, Industry, Product, Region
from ovation.users.models import User

from .models import DEFAULT_ADVOCACY_KINDS, FollowUp
from .stages import KIND_LABELS
from .stats import ARR_BANDS


class CampaignForm(forms.Form):
    SEND_CHOICES = [
        ("now", "Send now"),
        ("schedule", "Schedule"),
        ("draft", "Save as draft"),
    ]
    name = forms.CharField(max_length=200)
    question = forms.CharField(
        max_length=300,
        required=False,
        initial="How likely is it that you would recommend us to a friend or colleague?",
    )
    industry = forms.MultipleChoiceField(required=False)
    region = forms.MultipleChoiceField(required=False)
    product = forms.MultipleChoiceField(required=False)
    arr_band = forms.MultipleChoiceField(
        required=False, choices=[(k, label) for k, label, _, _ in ARR_BANDS], label="ARR band"
    )
    employee_band = forms.MultipleChoiceField(
        required=False, choices=Account.EmployeeBand.choices, label="Employees"
    )
    csm = forms.MultipleChoiceField(required=False, label="CSM")
    stage = forms.MultipleChoiceField(required=False, choices=Contact.Stage.choices)
    surveyed_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=3650,
        label="Not surveyed in the last N days",
        initial=90,
    )
    send = forms.ChoiceField(choices=SEND_CHOICES, initial="now", widget=forms.RadioSelect)
    scheduled_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        label="Send at",
    )
    token_ttl_days = forms.IntegerField(
        min_value=1, max_value=365, initial=30, label="Links expire after (days)"
    )
    reminder_after_days = forms.IntegerField(
        min_value=0, max_value=364, initial=5, label="Remind non-responders after (days, 0 = never)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [
            (str(i), n) for i, n in Industry.objects.values_list("id", "name")
        ]
        self.fields["region"].choices = [
            (str(i), n) for i, n in Region.objects.values_list("id", "name")
        ]
        self.fields["product"].choices = [
            (str(i), n) for i, n in Product.objects.values_list("id", "name")
        ]
        self.fields["csm"].choices = [
            (str(u.id), u.full_name or u.email)
            for u in User.objects.filter(role=User.Role.CSM, is_active=True).order_by("full_name")
        ]
        for name in ("industry", "region", "product", "arr_band", "employee_band", "csm", "stage"):
            self.fields[name].widget.attrs["size"] = 4

    def clean(self):
        data = super().clean()
        if data.get("send") == "schedule":
            when = data.get("scheduled_at")
            if not when:
                self.add_error("scheduled_at", "choose when to send")
            elif when <= timezone.now():
                self.add_error("scheduled_at", "choose a time in the future")
        return data

    def audience(self) -> dict:
        data = self.cleaned_data
        out = {
            k: data[k]
            for k in ("industry", "region", "product", "arr_band", "employee_band", "csm", "stage")
            if data.get(k)
        }
        if data.get("surveyed_days"):
            out["surveyed_days"] = data["surveyed_days"]
        return out


class DefinitionForm(forms.Form):
    promoter_min_score = forms.IntegerField(
        min_value=0, max_value=10, label="Promoter: latest NPS at least"
    )
    promoter_window_days = forms.IntegerField(
        min_value=1, max_value=3650, label="… answered within (days)"
    )
    advocate_min_acts = forms.IntegerField(
        min_value=1, max_value=100, label="Advocate: promoter with at least (acts)"
    )
    advocate_window_days = forms.IntegerField(min_value=1, max_value=3650, label="… within (days)")
    champion_min_acts = forms.IntegerField(
        min_value=1, max_value=100, label="Champion: advocate with at least (acts)"
    )
    champion_window_days = forms.IntegerField(min_value=1, max_value=3650, label="… within (days)")
    account_min_advocates = forms.IntegerField(
        min_value=1, max_value=100, label="An account counts as advocate from (advocates)"
    )
    advocacy_kinds = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label="Advocacy acts"
    )
    note = forms.CharField(max_length=300, required=False, label="Why this change")

    def __init__(self, *args, extra_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        kinds = list(dict.fromkeys([*DEFAULT_ADVOCACY_KINDS, *KIND_LABELS, *extra_kinds]))
        self.fields["advocacy_kinds"].choices = [
            (k, f"{KIND_LABELS.get(k, k)} ({k})") for k in kinds
        ]


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(choices=FollowUp.Status.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in range(11)], coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    improvement = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
