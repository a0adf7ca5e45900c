"""Staff forms. They parse and validate input only; views hand `cleaned_data` to a service."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from ovation.users.models import User

from .models import Account, Consent, Contact, Product

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "domain",
            "crm_id",
            "industry",
            "region",
            "country",
            "employee_band",
            "arr",
            "products",
            "status",
            "customer_since",
            "renewal_date",
            "csm_owner",
        ]
        widgets = {
            "customer_since": DATE,
            "renewal_date": DATE,
            "products": forms.CheckboxSelectMultiple,
        }
        labels = {"csm_owner": "CSM owner", "arr": "ARR", "crm_id": "CRM id"}
        help_texts = {"country": "Two-letter ISO code, e.g. BE, US"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["csm_owner"].queryset = User.objects.filter(
            is_active=True, role__in=[User.Role.CSM, User.Role.MANAGER, User.Role.ADMIN]
        ).order_by("full_name", "email")
        self.fields["products"].queryset = Product.objects.all()
        self.fields["arr"].validators.append(MinValueValidator(0))
        self.fields["arr"].widget.attrs["min"] = "0"

    def clean_country(self):
        country = (self.cleaned_data.get("country") or "").strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise ValidationError("use a two-letter ISO country code, e.g. BE")
        return country

    def clean_crm_id(self):
        return (self.cleaned_data.get("crm_id") or "").strip() or None

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["products"] = list(data.pop("products"))
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "email",
            "account",
            "title",
            "seniority",
            "persona",
            "phone",
            "timezone",
            "crm_id",
            "stage",
            "is_active",
        ]
        labels = {"crm_id": "CRM id", "is_active": "Active (still at the account)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A select of every account does not scale to 100k; take an id (the page pre-fills it).
        self.fields["account"].widget = forms.NumberInput(attrs={"min": 1})
        self.fields["account"].label = "Account id"
        self.fields["account"].help_text = "The number in the account page's address"
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        others = Contact.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if email and others.exists():
            raise ValidationError("another contact already has this email")
        return email

    def clean_crm_id(self):
        return (self.cleaned_data.get("crm_id") or "").strip() or None

    def clean_timezone(self):
        from zoneinfo import available_timezones

        tz = (self.cleaned_data.get("timezone") or "").strip()
        if tz and tz not in available_timezones():
            raise ValidationError("unknown time zone; use an IANA name such as Europe/Brussels")
        return tz

    def _get_validation_exclusions(self):
        # Email uniqueness is checked in clean_email, with a message on the field (the model's
        # functional constraint would only give a form-wide one); the database still guards it.
        exclude = super()._get_validation_exclusions()
        exclude.add("email")
        return exclude


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=Consent.Purpose.choices)
    is_granted = forms.TypedChoiceField(
        label="Decision",
        choices=[("yes", "Granted"), ("no", "Withdrawn / refused")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        required=False,
        max_length=500,
        label="How was it given?",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Confirmed by email on the QBR call"}),
    )


# Activity kinds staff log by hand (activity.Activity.Kind values, plus calls and meetings).
NOTE_KINDS = [
    ("note", "Note"),
    ("call.logged", "Call"),
    ("meeting.logged", "Meeting"),
    ("email.sent", "Email"),
    ("ask.logged", "Ask made"),
]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=NOTE_KINDS, label="Type")
    summary = forms.CharField(
        max_length=1000,
        label="What happened?",
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. Happy to speak at the summit"}
        ),
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When (optional)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for now",
    )


class TaxonomyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")
