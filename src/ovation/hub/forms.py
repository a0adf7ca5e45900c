"""Input parsing for hub pages. Forms only parse and check shapes; rules live in services."""

import json

from django import forms

from ovation.directory.models import Account, Consent, Contact, Industry, Region

from .models import Badge, Challenge, HubProfile, Level, MotivationAnswer, Motivator


class LoginEmailForm(forms.Form):
    email = forms.EmailField(
        label="Work email",
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "placeholder": "you@company.com"}
        ),
    )


class LoginCodeForm(forms.Form):
    code = forms.CharField(
        label="8-digit code",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "placeholder": "1234 5678",
            }
        ),
    )


class PreferencesForm(forms.Form):
    leaderboard_visibility = forms.ChoiceField(
        label="On the leaderboard", choices=HubProfile.Visibility.choices, widget=forms.RadioSelect
    )
    email_digest = forms.ChoiceField(
        label="Email me about new challenges", choices=HubProfile.Digest.choices
    )
    notify_on_review = forms.BooleanField(
        label="Email me when a submission is reviewed", required=False
    )
    notify_on_badge = forms.BooleanField(label="Email me when I earn a badge", required=False)


class MotivationsForm(forms.Form):
    def __init__(self, *args, initial_ratings=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_ratings = initial_ratings or {}
        for topic, label in MotivationAnswer.Topic.choices:
            self.fields[topic] = forms.TypedChoiceField(
                label=label,
                choices=MotivationAnswer.SCALE,
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                initial=initial_ratings.get(topic),
            )

    def ratings(self) -> dict[str, int]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class ConsentsForm(forms.Form):
    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        for purpose, label in Consent.Purpose.choices:
            decision = current.get(purpose)
            self.fields[purpose] = forms.BooleanField(
                label=label, required=False, initial=bool(decision and decision.is_granted)
            )


class ChallengeForm(forms.ModelForm):
    motivators = forms.MultipleChoiceField(
        choices=Motivator.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    audience_stages = forms.MultipleChoiceField(
        label="Stages",
        choices=Contact.Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_employee_bands = forms.MultipleChoiceField(
        label="Company sizes",
        choices=Account.EmployeeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_industries = forms.ModelMultipleChoiceField(
        label="Industries",
        queryset=Industry.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_regions = forms.ModelMultipleChoiceField(
        label="Regions",
        queryset=Region.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience_program_ids = forms.CharField(
        label="Program ids", required=False, help_text="comma-separated; empty = everyone"
    )
    questions_json = forms.CharField(required=False, widget=forms.HiddenInput)
    questions_text = forms.CharField(
        label="Questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "One question per block, separated by a blank line. First line: the question. "
            "Then one option per line, the correct one starting with '*'. "
            "For a puzzle, write a single line '= answer'."
        ),
    )

    class Meta:
        model = Challenge
        fields = [
            "title", "kind", "status", "summary", "body", "points", "effort_minutes", "is_featured",
            "action_url", "action_label", "share_text", "disclosure_text",
            "audience_min_level", "starts_at", "ends_at", "per_person_limit", "total_limit",
            "approval_mode", "proof_kind", "proof_instructions", "pass_mark_percent",
        ]  # fmt: skip
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "share_text": forms.Textarea(attrs={"rows": 3}),
            "disclosure_text": forms.Textarea(attrs={"rows": 2}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_min_level"].queryset = Level.objects.order_by("threshold")
        self.fields["audience_min_level"].label = "Minimum level"
        self.fields["audience_min_level"].empty_label = "Any level"
        self.fields["kind"].label = "Type"
        self.fields["action_url"].label = "Link"
        self.fields["action_label"].label = "Button label"
        self.fields["effort_minutes"].label = "Effort"
        self.fields["proof_kind"].label = "Proof asked"
        self.fields["pass_mark_percent"].label = "Pass mark (%)"
        if self.instance.pk:
            self.initial.setdefault(
                "audience_program_ids",
                ", ".join(str(i) for i in self.instance.audience_program_ids),
            )
            self.initial.setdefault(
                "questions_text", questions_to_text(list(self.instance.questions.all()))
            )

    def clean_audience_program_ids(self):
        raw = self.cleaned_data.get("audience_program_ids") or ""
        try:
            return [int(x) for x in raw.replace(" ", "").split(",") if x]
        except ValueError as exc:
            raise forms.ValidationError("use whole numbers separated by commas") from exc

    def clean_questions_text(self):
        try:
            return parse_questions(self.cleaned_data.get("questions_text") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


def parse_questions(text: str) -> list[dict]:
    """Parse the builder's plain-text question format (pure). Raises ValueError naming the
    question at fault."""
    questions = []
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    for number, block in enumerate(blocks, start=1):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        prompt, rest = lines[0], lines[1:]
        explanation = ""
        if rest and rest[-1].startswith("?"):
            explanation = rest.pop()[1:].strip()
        if len(rest) == 1 and rest[0].startswith("="):
            questions.append(
                {"prompt": prompt, "answer_text": rest[0][1:].strip(), "explanation": explanation}
            )
            continue
        options, correct = [], None
        for line in rest:
            if line.startswith("*"):
                if correct is not None:
                    raise ValueError(f"question {number}: only one option can be marked with *")
                correct = len(options)
                line = line[1:].strip()
            options.append(line.lstrip("-").strip())
        if len(options) < 2:
            raise ValueError(f"question {number}: give at least two options, or '= answer'")
        if correct is None:
            raise ValueError(f"question {number}: mark the correct option with *")
        questions.append(
            {
                "prompt": prompt,
                "options": options,
                "correct_option": correct,
                "explanation": explanation,
            }
        )
    return questions


def questions_to_text(questions) -> str:
    blocks = []
    for q in questions:
        lines = [q.prompt]
        if q.options:
            lines += [
                ("* " if i == q.correct_option else "- ") + o for i, o in enumerate(q.options)
            ]
        else:
            lines.append(f"= {q.answer_text}")
        if q.explanation:
            lines.append(f"? {q.explanation}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Contacts",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "ana@customer.com, joe@other.com"}),
        help_text="Emails of contacts in the directory, separated by commas or new lines.",
    )
    message = forms.CharField(
        label="Personal welcome",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )

    def clean_emails(self):
        raw = self.cleaned_data["emails"].replace(";", ",").replace("\n", ",")
        emails = [e.strip().lower() for e in raw.split(",") if e.strip()]
        if not emails:
            raise forms.ValidationError("enter at least one email")
        return emails


class BulkInviteForm(forms.Form):
    stages = forms.MultipleChoiceField(
        choices=Contact.Stage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    industry = forms.ModelChoiceField(queryset=Industry.objects.all(), required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.all(), required=False)
    employee_band = forms.ChoiceField(
        label="Company size",
        choices=[("", "Any size"), *Account.EmployeeBand.choices],
        required=False,
    )
    limit = forms.IntegerField(
        min_value=1, max_value=2000, initial=50, help_text="at most this many"
    )
    message = forms.CharField(
        label="Personal welcome",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class BadgeForm(forms.ModelForm):
    class Meta:
        model = Badge
        fields = ["name", "slug", "description", "artwork", "rule", "threshold", "is_active"]


class ManualAwardForm(forms.Form):
    badge = forms.ModelChoiceField(queryset=Badge.objects.filter(is_active=True))
    email = forms.EmailField(label="Advocate email")
    reason = forms.CharField(max_length=250, required=False)


def questions_json(questions: list[dict]) -> str:
    return json.dumps(questions)
