import uuid

from django import forms

from .services import MAX_POINTS


class AdjustmentForm(forms.Form):
    """A manager's manual adjustment. `request_key` (a fresh UUID per rendered form) makes a
    double submit post once."""

    amount = forms.IntegerField(
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text="Positive to add points, negative to remove them.",
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Spoke at our user conference"}),
        help_text="Required. Kept on the entry and shown in the contact's timeline.",
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter a number of points other than zero.")
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required.")
        return reason
