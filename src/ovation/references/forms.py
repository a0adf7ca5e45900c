"""Forms for the staff pages and the hub. They parse input; the services decide."""

from django import forms
from django.utils import timezone

from ovation.directory.models import Account, Contact, Industry, Product, Region

from .models import REFERENCE_ACTIVITY_TYPES, ActivityType, Ask, FatiguePolicy, MatchSettings

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RequestForm(forms.Form):
    opportunity_name = forms.CharField(max_length=200, label="Opportunity")
    opportunity_crm_id = forms.CharField(max_length=64, required=False, label="CRM id")
    amount = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)
    opportunity_stage = forms.CharField(max_length=60, required=False, label="Stage")
    close_date = forms.DateField(required=False, widget=DATE)
    prospect_name = forms.CharField(max_length=200, required=False, label="Prospect company")
    industry = forms.ModelChoiceField(Industry.objects.all(), required=False)
    region = forms.ModelChoiceField(Region.objects.all(), required=False)
    country = forms.CharField(max_length=60, required=False, help_text="two letters, e.g. DE")
    employee_band = forms.ChoiceField(
        choices=[("", "—"), *Account.EmployeeBand.choices], required=False, label="Employees"
    )
    products = forms.ModelMultipleChoiceField(
        Product.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    competitor = forms.CharField(max_length=200, required=False, label="Competitor replaced")
    use_case = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="what the prospect wants to achieve; matched against advocates' past topics",
    )
    seniority = forms.ChoiceField(
        choices=[("", "—"), *Contact.Seniority.choices],
        required=False,
        label="Prospect's seniority",
    )
    activity_type = forms.ChoiceField(
        choices=[(v, ActivityType(v).label) for v in REFERENCE_ACTIVITY_TYPES], label="Activity"
    )
    needed_by = forms.DateField(required=False, widget=DATE)
    number_wanted = forms.IntegerField(min_value=1, max_value=10, initial=1, label="How many")
    duration_minutes = forms.IntegerField(min_value=5, max_value=480, initial=30, label="Minutes")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError("use a two-letter country code, e.g. DE")
        return value

    def clean_needed_by(self):
        value = self.cleaned_data["needed_by"]
        if value and value < timezone.localdate():
            raise forms.ValidationError("the date is in the past")
        return value


class PickForm(forms.Form):
    contact_id = forms.IntegerField()
    score = forms.FloatField(required=False)
    explanation = forms.CharField(max_length=500, required=False)


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"])


class CompleteForm(forms.Form):
    held = forms.TypedChoiceField(
        choices=[("yes", "Yes, it took place"), ("no", "No, it did not happen")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        initial="yes",
    )
    rating = forms.TypedChoiceField(
        choices=[("", "—"), *[(str(i), f"{i} / 5") for i in range(5, 0, -1)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    feedback = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("won", "Won"), ("lost", "Lost"), ("open", "Open")])
    amount = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False)


class AcceptForm(forms.Form):
    slot1 = forms.DateTimeField(widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"], label="Slot 1")
    slot2 = forms.DateTimeField(
        widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"], required=False, label="Slot 2"
    )
    slot3 = forms.DateTimeField(
        widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M"], required=False, label="Slot 3"
    )

    def slots(self):
        return [self.cleaned_data.get(k) for k in ("slot1", "slot2", "slot3")]


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class AskLogForm(forms.Form):
    contact = forms.CharField(
        label="Contact",
        help_text="email or contact id",
        widget=forms.TextInput(attrs={"list": "contact-options", "autocomplete": "off"}),
    )
    activity_type = forms.ChoiceField(choices=ActivityType.choices, initial="call")
    status = forms.ChoiceField(choices=Ask.Status.choices, initial="asked", label="Their answer")
    asked_on = forms.DateField(widget=DATE, required=False, help_text="empty = today")
    note = forms.CharField(max_length=500, required=False)

    def clean_contact(self):
        value = self.cleaned_data["contact"].strip()
        qs = Contact.objects.select_related("account")
        contact = (
            qs.filter(pk=int(value)).first()
            if value.isdigit()
            else qs.filter(email__iexact=value).first()
        )
        if contact is None:
            raise forms.ValidationError(f"no contact with id or email {value!r}")
        return contact

    def clean_asked_on(self):
        value = self.cleaned_data["asked_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("the date is in the future")
        return value


class PolicyForm(forms.ModelForm):
    class Meta:
        model = FatiguePolicy
        fields = [
            "window_days",
            "max_asks_in_window",
            "min_days_between",
            "max_per_account_per_quarter",
            "decline_cooldown_days",
            "renewal_quiet_days",
            "respect_detractor_followup",
            "is_active",
        ]


class WeightsForm(forms.ModelForm):
    class Meta:
        model = MatchSettings
        fields = [
            *[f"w_{f}" for f in MatchSettings.FACTORS],
            "auto_assign",
            "auto_assign_min_score",
            "sla_review_hours",
            "sla_response_hours",
            "completion_points",
        ]
        labels = {f"w_{f}": f.replace("_", " ").capitalize() for f in MatchSettings.FACTORS}

    def clean(self):
        data = super().clean()
        for f in MatchSettings.FACTORS:
            v = data.get(f"w_{f}")
            if v is not None and not 0 <= v <= 10:
                self.add_error(f"w_{f}", "between 0 and 10")
        t = data.get("auto_assign_min_score")
        if t is not None and not 0 <= t <= 1:
            self.add_error("auto_assign_min_score", "between 0 and 1")
        return data


class NewPolicyForm(forms.Form):
    activity_type = forms.ChoiceField(choices=ActivityType.choices, label="Add limits for")
