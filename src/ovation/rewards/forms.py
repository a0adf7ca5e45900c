"""Forms parse input only; the rules live in services."""

import uuid

from django import forms

from .models import Redemption, Reward
from .services import MAX_IMAGE_BYTES


class RewardForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=Reward.Kind.choices)
    cost = forms.IntegerField(min_value=1, max_value=10_000_000, label="Cost (points)")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    fulfilment_info = forms.CharField(
        max_length=300,
        required=False,
        label="What to expect",
        help_text="Shown to the advocate, e.g. “Sent by email within 3 business days”.",
    )
    stock = forms.IntegerField(min_value=0, required=False, help_text="Leave empty for unlimited.")
    per_person_limit = forms.IntegerField(
        min_value=1, required=False, label="Limit per person", help_text="Leave empty for no limit."
    )
    variants = forms.CharField(
        required=False,
        label="Sizes or options",
        help_text="Comma separated, e.g. XS, S, M, L, XL. The advocate must choose one.",
    )
    needs_shipping = forms.BooleanField(required=False, label="Ask for a shipping address")
    requires_approval = forms.BooleanField(
        required=False, label="A manager approves each redemption"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active (shown in the hub)")
    available_from = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    available_until = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    image = forms.FileField(
        required=False,
        help_text=f"PNG or SVG, at most {MAX_IMAGE_BYTES // 1024} KB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/svg+xml"}),
    )
    remove_image = forms.BooleanField(required=False, label="Remove the current image")

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if upload and upload.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(
                f"The image is {upload.size // 1024} KB; the limit is {MAX_IMAGE_BYTES // 1024} KB."
            )
        return upload

    def clean(self):
        data = super().clean()
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end <= start:
            self.add_error("available_until", "The end must be after the start.")
        return data

    @classmethod
    def initial_for(cls, reward: Reward) -> dict:
        return {
            "name": reward.name,
            "kind": reward.kind,
            "cost": reward.cost,
            "description": reward.description,
            "fulfilment_info": reward.fulfilment_info,
            "stock": reward.stock,
            "per_person_limit": reward.per_person_limit,
            "variants": ", ".join(reward.variants),
            "needs_shipping": reward.needs_shipping,
            "requires_approval": reward.requires_approval,
            "is_active": reward.is_active,
            "available_from": reward.available_from,
            "available_until": reward.available_until,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("image", None)
        data.pop("remove_image", None)
        return data


class RedeemForm(forms.Form):
    """The advocate's redemption. `request_key` (fresh per rendered form) makes a double submit
    redeem once; `confirm` is set on the confirmation step."""

    variant = forms.ChoiceField(required=False, label="Size")
    shipping_address = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "shipping street-address"}),
        label="Shipping address",
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, reward: Reward, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.reward = reward
        if reward.variants:
            self.fields["variant"].choices = [("", "Choose…")] + [(v, v) for v in reward.variants]
            self.fields["variant"].required = True
        else:
            del self.fields["variant"]
        if reward.needs_shipping:
            self.fields["shipping_address"].required = True
        else:
            del self.fields["shipping_address"]


class TransitionForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Add a note only"), *Redemption.Status.choices], required=False
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. Shipped with UPS, tracking 1Z…"}
        ),
    )
    is_internal = forms.BooleanField(required=False, label="Staff only (hidden from the advocate)")

    def clean(self):
        data = super().clean()
        if not data.get("status") and not (data.get("note") or "").strip():
            raise forms.ValidationError("Choose a new status or write a note.")
        return data


class PolicyForm(forms.Form):
    account_id = forms.IntegerField(widget=forms.HiddenInput)
    donations_only = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=300)
