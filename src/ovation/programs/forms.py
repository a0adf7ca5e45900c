"""Forms parse input only; the rules live in services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms

from ovation.directory.models import Account, Contact, Industry, Region

from .models import Event, Idea, Membership, Program
from .times import common_zones, zone_valid


class ProgramForm(forms.ModelForm):
    eligible_stages = forms.MultipleChoiceField(
        choices=Contact.Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every stage",
    )
    eligible_employee_bands = forms.MultipleChoiceField(
        label="Company sizes",
        choices=Account.EmployeeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any size",
    )
    eligible_industries = forms.ModelMultipleChoiceField(
        queryset=Industry.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    eligible_regions = forms.ModelMultipleChoiceField(
        queryset=Region.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "kind",
            "tagline",
            "description",
            "topic",
            "region",
            "capacity",
            "approval_mode",
            "is_accepting_applications",
            "term_start",
            "term_end",
            "is_active",
            "eligible_stages",
            "eligible_employee_bands",
            "eligible_industries",
            "eligible_regions",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "term_start": forms.DateInput(attrs={"type": "date"}),
            "term_end": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"is_accepting_applications": "Advocates may apply in the hub"}


class EventForm(forms.Form):
    """Local date and time in the event's own zone; stored in UTC."""

    title = forms.CharField(max_length=160)
    kind = forms.ChoiceField(choices=Event.Kind.choices)
    program = forms.ModelChoiceField(
        queryset=Program.objects.filter(is_active=True),
        required=False,
        empty_label="Standalone (no program)",
    )
    starts_local = forms.DateTimeField(
        label="Starts (event's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(min_value=15, max_value=14 * 24 * 60, initial=90)
    timezone = forms.CharField(
        initial="Europe/Brussels",
        widget=forms.TextInput(attrs={"list": "tz-list", "autocomplete": "off"}),
        help_text="IANA name, e.g. Europe/Brussels, America/New_York",
    )
    virtual_url = forms.URLField(required=False, label="Video link", assume_scheme="https")
    venue = forms.CharField(max_length=200, required=False)
    address = forms.CharField(max_length=300, required=False)
    agenda = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    capacity = forms.IntegerField(min_value=1, required=False, help_text="empty = unlimited")
    is_open_to_all = forms.BooleanField(
        required=False, label="Open to every advocate (else program members and invitees)"
    )
    attendance_points = forms.IntegerField(min_value=0, max_value=10000, initial=50)

    zones = staticmethod(common_zones)

    def clean_timezone(self):
        name = self.cleaned_data["timezone"].strip()
        if not zone_valid(name):
            raise forms.ValidationError(f"Unknown time zone “{name}”. Use e.g. Europe/Brussels.")
        return name

    def clean(self):
        data = super().clean()
        local, zone = data.get("starts_local"), data.get("timezone")
        if local and zone and data.get("duration_minutes"):
            naive = local.replace(tzinfo=None)
            data["starts_at"] = naive.replace(tzinfo=ZoneInfo(zone))
            data["ends_at"] = data["starts_at"] + timedelta(minutes=data["duration_minutes"])
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            k: d.get(k)
            for k in (
                "title",
                "kind",
                "program",
                "starts_at",
                "ends_at",
                "timezone",
                "virtual_url",
                "venue",
                "address",
                "agenda",
                "capacity",
                "is_open_to_all",
                "attendance_points",
            )
        } | {"virtual_url": d.get("virtual_url") or "", "agenda": d.get("agenda") or ""}

    @classmethod
    def initial_for(cls, event: Event) -> dict:
        local = event.starts_at.astimezone(event.zone)
        return {
            "title": event.title,
            "kind": event.kind,
            "program": event.program_id,
            "starts_local": datetime(local.year, local.month, local.day, local.hour, local.minute),
            "duration_minutes": int((event.ends_at - event.starts_at).total_seconds() // 60),
            "timezone": event.timezone,
            "virtual_url": event.virtual_url,
            "venue": event.venue,
            "address": event.address,
            "agenda": event.agenda,
            "capacity": event.capacity,
            "is_open_to_all": event.is_open_to_all,
            "attendance_points": event.attendance_points,
        }


class NominateForm(forms.Form):
    email = forms.EmailField(label="Contact email")
    note = forms.CharField(
        label="Why this customer?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        contact = Contact.objects.select_related("account").filter(email__iexact=email).first()
        if contact is None:
            raise forms.ValidationError(f"No contact with the email {email}.")
        self.contact = contact
        return email


class DecisionForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    reason = forms.CharField(max_length=300, required=False)


class ApplyForm(forms.Form):
    note = forms.CharField(
        label="Why would you like to join? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IdeaForm(forms.Form):
    title = forms.CharField(max_length=160, label="Your idea")
    description = forms.CharField(
        required=False,
        max_length=5000,
        label="Tell us more (the problem it solves)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment", max_length=3000, widget=forms.Textarea(attrs={"rows": 2})
    )


class IdeaStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Idea.Status.choices)
    reason = forms.CharField(
        label="Public reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Notes / minutes (Markdown)",
    )
