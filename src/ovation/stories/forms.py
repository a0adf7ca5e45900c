from django import forms

from ovation.directory.models import Contact, Industry, Product

from .models import Story, UsageRight


class StoryForm(forms.Form):
    contact_email = forms.EmailField(label="Hero's email", help_text="The customer who said it")
    kind = forms.ChoiceField(choices=Story.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Their words")
    result = forms.CharField(max_length=300, required=False, label="Their result")
    hero_title = forms.CharField(max_length=200, required=False, label="Hero's title")
    persona = forms.ChoiceField(choices=[("", "—"), *Contact.Persona.choices], required=False)
    industry = forms.ModelChoiceField(queryset=Industry.objects.all(), required=False)
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        max_length=300, required=False, help_text="Comma-separated topics, e.g. ROI, migration"
    )
    link = forms.URLField(required=False, assume_scheme="https")

    def clean_contact_email(self):
        email = self.cleaned_data["contact_email"]
        contact = Contact.objects.select_related("account").filter(email__iexact=email).first()
        if contact is None:
            raise forms.ValidationError("No contact has this email")
        self.cleaned_data["contact"] = contact
        return email


class UsageRightForm(forms.Form):
    channel = forms.ChoiceField(choices=UsageRight.Channel.choices)
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.all(), required=False, empty_label="Any industry"
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), required=False, empty_label="Any product"
    )
    persona = forms.ChoiceField(
        choices=[("", "Any persona"), *Contact.Persona.choices], required=False
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Story.Kind.choices], required=False)
    channel = forms.ChoiceField(
        choices=[("", "Any channel"), *UsageRight.Channel.choices], required=False
    )


class ChangesForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="What should change?"
    )
