import re

from django import forms
from django.core.exceptions import ValidationError

from ovation.core.errors import ServiceError
from ovation.core.images import image_clean

from .models import Referral, ReferralProgram, ReferralRewardRule

PROGRAM_IMAGE_KINDS = ("png", "jpeg", "gif", "webp")
PROGRAM_IMAGE_BYTES = 2 * 1024 * 1024

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAME_BAD = re.compile(r"[<>{}\[\]\\/=@:;]|https?", re.IGNORECASE)


def _no_control(value: str) -> None:
    if _CONTROL.search(value or ""):
        raise ValidationError("Remove the invisible control characters.")


def _plain_name(value: str) -> None:
    _no_control(value)
    if _NAME_BAD.search(value or ""):
        raise ValidationError("Use letters only (no links or symbols such as < > @ /).")


class LeadForm(forms.Form):
    """The friend's form on the landing page. Limits are explicit so that oversized input is
    refused with a message naming the field. `website` is a honeypot: people never see it."""

    first_name = forms.CharField(label="First name", max_length=100, validators=[_plain_name])
    last_name = forms.CharField(
        label="Last name", max_length=100, required=False, validators=[_plain_name]
    )
    email = forms.EmailField(label="Work email", max_length=254)
    company = forms.CharField(label="Company", max_length=200, validators=[_no_control])
    phone = forms.RegexField(
        label="Phone",
        max_length=40,
        required=False,
        regex=r"^\+?[0-9 ()./-]{6,40}$",
        error_messages={"invalid": "Use digits, spaces and + ( ) - only."},
    )
    message = forms.CharField(
        label="Message (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[_no_control],
    )
    consent = forms.BooleanField(
        label="I agree to be contacted about this offer",
        error_messages={"required": "Please agree to be contacted so we can follow up."},
    )
    website = forms.CharField(required=False, label="Leave this empty")

    def __init__(self, *args, program: ReferralProgram, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].required = program.ask_company
        if not program.ask_company:
            del self.fields["company"]
        if not program.ask_phone:
            del self.fields["phone"]
        if not program.ask_message:
            del self.fields["message"]
        self.fields["email"].error_messages["invalid"] = (
            "Enter a valid email address, like jane@company.com."
        )
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("autocomplete", _AUTOCOMPLETE.get(name, "off"))
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


_AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "company": "organization",
    "phone": "tel",
}


class ProgramForm(forms.ModelForm):
    class Meta:
        model = ReferralProgram
        fields = [
            "name",
            "slug",
            "is_active",
            "headline",
            "offer",
            "body_markdown",
            "share_text",
            "ask_company",
            "ask_phone",
            "ask_message",
            "attribution_window_days",
            "pipeline_policy",
            "double_opt_in",
            "velocity_per_hour",
            "velocity_per_day",
            "reward_cap_count",
            "reward_cap_points",
            "terms",
        ]
        widgets = {
            "body_markdown": forms.Textarea(attrs={"rows": 6}),
            "share_text": forms.Textarea(attrs={"rows": 3}),
            "terms": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "attribution_window_days": "Attribution window (days, up to 548 = 18 months)",
            "pipeline_policy": "People already in the pipeline",
            "body_markdown": "Body (Markdown)",
        }

    image = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF or WebP, at most 2 MB; shown on the landing page.",
    )
    remove_image = forms.BooleanField(required=False, label="Remove the current image")

    def clean_image(self):
        """(bytes, content type) of an accepted upload, or None; checked by content."""
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        if upload.size > PROGRAM_IMAGE_BYTES:
            raise ValidationError("The image must be 2 MB or smaller.")
        try:
            return image_clean(
                data=upload.read(), kinds=PROGRAM_IMAGE_KINDS, max_bytes=PROGRAM_IMAGE_BYTES
            )
        except ServiceError as exc:
            raise ValidationError(exc.message[:1].upper() + exc.message[1:] + ".") from exc


REWARD_SLOTS = [
    (stage, recipient)
    for stage in ReferralRewardRule.Stage.values
    for recipient in ReferralRewardRule.Recipient.values
]


class RewardRulesForm(forms.Form):
    """Points and a note per (stage, side), e.g. referrer 500 points when qualified."""

    def __init__(self, *args, program: ReferralProgram | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = {}
        if program is not None and program.pk:
            current = {(r.stage, r.recipient): r for r in program.reward_rules.all()}
        for stage, recipient in REWARD_SLOTS:
            rule = current.get((stage, recipient))
            self.fields[f"{stage}_{recipient}_points"] = forms.IntegerField(
                min_value=0,
                max_value=1_000_000,
                required=False,
                initial=rule.points if rule else None,
                label="Points",
            )
            self.fields[f"{stage}_{recipient}_note"] = forms.CharField(
                max_length=200, required=False, initial=rule.note if rule else "", label="Note"
            )

    def rows(self):
        for stage, recipient in REWARD_SLOTS:
            yield {
                "stage": ReferralRewardRule.Stage(stage).label,
                "recipient": ReferralRewardRule.Recipient(recipient).label,
                "points": self[f"{stage}_{recipient}_points"],
                "note": self[f"{stage}_{recipient}_note"],
            }

    def rules(self) -> list[dict]:
        return [
            {
                "stage": stage,
                "recipient": recipient,
                "points": self.cleaned_data.get(f"{stage}_{recipient}_points") or 0,
                "note": self.cleaned_data.get(f"{stage}_{recipient}_note") or "",
            }
            for stage, recipient in REWARD_SLOTS
        ]


class StageForm(forms.Form):
    status = forms.ChoiceField(choices=Referral.Status.choices)
    amount = forms.DecimalField(
        label="Deal amount", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    reason = forms.CharField(
        label="Reason shown to the referrer (for lost / disqualified)",
        max_length=300,
        required=False,
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(max_length=300, required=False)
