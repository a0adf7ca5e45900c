"""Campaigns: "invite the 25 best-fit advocates to speak at our user conference".

`campaign_plan` ranks the segment by expected acceptance x fit and walks down the ranking,
checking each person against the shared ask budget and the decline cooldown until N are
found: who is in, who is excluded and why. `campaign_send` invites them: every invitation is
an ask recorded through `references.budget.ask_record` (which re-checks the budget under a
lock, so a campaign can never exceed it), through the programs app's `event_invite` for an
event, plus a Prediction for calibration and an email."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.directory.models import Account, Contact

from . import model
from .models import AskType, Campaign, Observation, Prediction, Profile
from .recommend import STAGE_FIT, Recommendation

DEFAULT_STAGES = ["champion", "advocate", "promoter"]
MAX_EXAMINED_FACTOR = 4


@dataclass
class PlanRow:
    contact: Contact
    probability: float
    fit: float
    score: float
    why: str = ""
    excluded: str = ""
    rule: str = ""


@dataclass
class CampaignPlan:
    ask_type: AskType
    target_type: str
    target_id: int
    target_label: str
    size: int
    pool: int
    invite: list[PlanRow] = field(default_factory=list)
    excluded: list[PlanRow] = field(default_factory=list)

    @property
    def expected_accepts(self) -> float:
        return sum(r.probability for r in self.invite)

    @property
    def excluded_by_rule(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for r in self.excluded:
            counts[r.rule] = counts.get(r.rule, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])


def resolve_target(*, ask_type: str, target_type: str, target_id: int, types) -> tuple:
    """(AskType, target object or None, label) or ServiceError naming the field."""
    from ovation.hub.models import Challenge
    from ovation.programs.models import Event, Program

    if target_type == Campaign.Target.ASK_TYPE or not target_type:
        t = types.get(ask_type)
        if t is None or not t.is_active:
            raise ServiceError("choose an ask type", field="ask_type")
        return t, None, t.label
    if target_type == Campaign.Target.CHALLENGE:
        obj = Challenge.objects.filter(pk=target_id, status="published").first()
        if obj is None or not obj.is_live():
            raise ServiceError("choose a published, open challenge", field="challenge")
        return types[f"challenge.{obj.kind}"], obj, obj.title
    if target_type == Campaign.Target.EVENT:
        obj = Event.objects.filter(pk=target_id, status="scheduled").first()
        if obj is None or obj.has_started:
            raise ServiceError("choose an upcoming event", field="event")
        return types[f"event.{obj.kind}"], obj, obj.title
    if target_type == Campaign.Target.PROGRAM:
        obj = Program.objects.filter(pk=target_id, is_active=True).first()
        if obj is None:
            raise ServiceError("choose an active program", field="program")
        return types[f"program.{obj.kind}"], obj, obj.name
    raise ServiceError(f"unknown target {target_type!r}", field="target_type")


def _segment(filters: dict, target) -> list[Contact]:
    from ovation.hub.models import Challenge
    from ovation.programs.models import Event, Invitation, Membership, Program, Rsvp

    stages = [s for s in filters.get("stages") or DEFAULT_STAGES if s in STAGE_FIT]
    qs = Contact.objects.filter(
        is_active=True, stage__in=stages, account__status=Account.Status.ACTIVE
    ).select_related("account", "account__industry", "account__region")
    for key, lookup in (
        ("industry", "account__industry_id"),
        ("region", "account__region_id"),
        ("persona", "persona"),
        ("seniority", "seniority"),
    ):
        if filters.get(key):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("hub_only"):
        qs = qs.filter(user__isnull=False)
    if isinstance(target, Event):
        qs = qs.exclude(
            Q(pk__in=Invitation.objects.filter(event=target).values("contact_id"))
            | Q(pk__in=Rsvp.objects.filter(event=target).values("contact_id"))
        )
    elif isinstance(target, Program):
        qs = qs.exclude(
            pk__in=Membership.objects.filter(program=target)
            .exclude(status__in=["left", "declined"])
            .values("contact_id")
        )
    elif isinstance(target, Challenge):
        from ovation.hub.models import Submission

        qs = qs.exclude(
            pk__in=Submission.objects.filter(challenge=target, slot__isnull=False).values(
                "contact_id"
            )
        )
    contacts = list(qs.order_by("pk")[:20000])
    if isinstance(target, Challenge):
        from ovation.hub.selectors import challenge_is_for

        target = Challenge.objects.prefetch_related("audience_industries", "audience_regions").get(
            pk=target.pk
        )
        if not target.audience_min_level_id:
            contacts = [c for c in contacts if challenge_is_for(target, c, level=None)]
    return contacts


def _probabilities(contacts: list[Contact], ask_type: AskType) -> np.ndarray:
    """Expected acceptance of the ask for every contact, vectorised over their profiles
    (contacts without a profile get their prior)."""
    from .services import answers_for, population_prior

    w = model.weight_vector(ask_type.motivators)
    ids = [c.pk for c in contacts]
    profiles, betas = {}, {}
    for cid, a, b in Profile.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "alpha", "beta"
    ):
        profiles[cid], betas[cid] = a, b
    missing = [c for c in contacts if c.pk not in profiles]
    pop_mean, strength = population_prior()
    answers = answers_for([c.pk for c in missing]) if missing else {}
    alpha = np.zeros((len(contacts), model.M))
    beta = np.zeros((len(contacts), model.M))
    for i, c in enumerate(contacts):
        if c.pk in profiles and len(profiles[c.pk]) == model.M:
            alpha[i], beta[i] = profiles[c.pk], betas[c.pk]
        else:
            mean, _ = model.prior_mean(
                pop_mean, answers=answers.get(c.pk), persona=c.persona, seniority=c.seniority
            )
            alpha[i], beta[i] = model.prior_params(mean, strength)
    return model.predict(alpha, beta, w[None, :])[:, 0] if contacts else np.zeros(0)


def _fit(contact: Contact, target) -> float:
    fit = STAGE_FIT.get(contact.stage, 0.5)
    if contact.user_id:
        fit += 0.1  # uses the hub: can answer in one click
    return round(fit, 3)


def campaign_plan(
    *,
    ask_type: str,
    target_type: str = "ask_type",
    target_id: int = 0,
    size: int = 25,
    filters: dict | None = None,
    now=None,
) -> CampaignPlan:
    """Rank the segment and pick the N best within budget (read-only)."""
    from ovation.references.budget import ask_budget_check, overall_policy

    from .services import ask_types_map

    if not 1 <= int(size) <= 500:
        raise ServiceError("invite between 1 and 500 advocates", field="size")
    now = now or timezone.now()
    types = ask_types_map()
    t, target, label = resolve_target(
        ask_type=ask_type, target_type=target_type, target_id=target_id, types=types
    )
    filters = filters or {}
    contacts = _segment(filters, target)
    p = _probabilities(contacts, t)
    fit = np.array([_fit(c, target) for c in contacts])
    score = np.round(p * fit, 6)
    # best first; ties (same profile) by the longest-standing contact
    order = np.lexsort((np.array([c.pk for c in contacts]), -score))
    plan = CampaignPlan(t, target_type or "ask_type", target_id, label, int(size), len(contacts))
    cooldown = timedelta(days=overall_policy().decline_cooldown_days or 30)
    declined = set(
        Observation.objects.filter(
            outcome="declined", occurred_at__gte=now - cooldown, ask_type=t.key
        ).values_list("contact_id", flat=True)
    )
    examined_max = int(size) * MAX_EXAMINED_FACTOR + 20
    for idx in order[:examined_max]:
        c = contacts[int(idx)]
        row = PlanRow(c, float(p[idx]), float(fit[idx]), float(score[idx]))
        if c.pk in declined:
            row.excluded = f"declined a {t.label.lower()} ask in the last {cooldown.days} days"
            row.rule = "motivation.decline_cooldown"
        elif t.uses_budget:
            d = ask_budget_check(contact=c, activity_type=t.budget_activity_type, at=now)
            if not d.allowed:
                row.excluded, row.rule = d.reason, d.rule or "budget"
        if row.excluded:
            plan.excluded.append(row)
            continue
        plan.invite.append(row)
        if len(plan.invite) >= int(size):
            break
    return plan


def _explain_row(row: PlanRow, t: AskType) -> str:
    return (
        f"{row.probability:.0%} expected to accept · fit {row.fit:.2f} "
        f"({row.contact.get_stage_display().lower()}"
        f"{', uses the hub' if row.contact.user_id else ''})"
    )


def _email(contact: Contact, campaign: Campaign, url: str) -> None:
    try:
        from ovation.automations.email import email_send
    except ImportError:  # the automations app is optional
        return
    if not contact.email:
        return
    body = campaign.message.strip() or (
        f"Hi {contact.first_name or 'there'},\n\nWe'd love your help: {campaign.target_label}."
    )
    if url:
        body += f"\n\nTell us if you're in: {url}"
    email_send(
        to=contact.email,
        template="rule_message",
        context={
            "subject": campaign.name,
            "body": body,
            "contact": {
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "name": contact.full_name,
                "email": contact.email,
            },
        },
        event_type="motivation.invited",
        contact=contact,
        dedupe_key=f"motivation-campaign:{campaign.pk}:{contact.pk}",
    )


def campaign_send(
    *,
    name: str,
    ask_type: str,
    target_type: str = "ask_type",
    target_id: int = 0,
    size: int = 25,
    filters: dict | None = None,
    message: str = "",
    actor=None,
) -> Campaign:
    """Create the campaign and invite the plan's advocates, each within the shared budget
    (an advocate who went over budget since the preview is skipped and counted excluded)."""
    from django.conf import settings

    from ovation.programs.models import Invitation
    from ovation.programs.services import event_invite
    from ovation.references.budget import BudgetExceeded, ask_record

    name = (name or "").strip()
    if not name:
        raise ServiceError("give the campaign a name", field="name")
    plan = campaign_plan(
        ask_type=ask_type, target_type=target_type, target_id=target_id, size=size, filters=filters
    )
    if not plan.invite:
        raise Conflict("nobody in this segment can be asked within the budget", field="size")
    t = plan.ask_type
    campaign = Campaign.objects.create(
        name=name[:160],
        ask_type=t.key,
        target_type=plan.target_type,
        target_id=plan.target_id,
        target_label=plan.target_label[:200],
        size=plan.size,
        filters=filters or {},
        message=message,
        created_by=actor,
    )
    base = settings.OVATION_BASE_URL
    invited = 0
    excluded = len(plan.excluded)
    expected = 0.0
    for row in plan.invite:
        contact = row.contact
        rec = Recommendation(t, plan.target_type, plan.target_id, plan.target_label, "", 0, 0)
        rec.probability, rec.score = row.probability, row.score
        rec.explanation = _explain_row(row, t)
        try:
            with transaction.atomic():
                if plan.target_type == Campaign.Target.EVENT:
                    from ovation.programs.models import Event

                    result = event_invite(
                        event=Event.objects.get(pk=plan.target_id), contacts=[contact], actor=actor
                    )
                    if not result.invited:
                        reason = result.blocked[0][1] if result.blocked else "already invited"
                        raise _Skip(reason)
                    ask_id = (
                        Invitation.objects.filter(event_id=plan.target_id, contact=contact)
                        .values_list("ask_id", flat=True)
                        .first()
                    )
                else:
                    if plan.target_type == Campaign.Target.CHALLENGE:
                        channel, stype, sid = "challenge", "challenge", plan.target_id
                        url = base + reverse("hub:challenge-detail", args=[plan.target_id])
                    elif plan.target_type == Campaign.Target.PROGRAM:
                        channel, stype, sid = "program", "program", plan.target_id
                        url = base + reverse("programs:hub-program", args=[plan.target_id])
                    else:
                        channel, stype, sid = "motivation", "campaign", campaign.pk
                        url = base + reverse("motivation:hub-for-you")
                    ask = ask_record(
                        contact=contact,
                        activity_type=t.budget_activity_type,
                        channel=channel,
                        source_type=stype,
                        source_id=sid,
                        actor=actor,
                        note=f"Campaign: {campaign.name}"[:500],
                    )
                    ask_id = ask.pk
                    _email(contact, campaign, url)
                Prediction.objects.create(
                    contact=contact,
                    ask_type=t.key,
                    target_type=plan.target_type,
                    target_id=plan.target_id,
                    target_label=plan.target_label[:200],
                    context=Prediction.Context.CAMPAIGN,
                    probability=round(min(max(row.probability, 0.0), 1.0), 4),
                    score=round(row.score, 4),
                    explanation=rec.explanation[:300],
                    campaign=campaign,
                    ask_id=ask_id,
                )
        except _Skip:
            excluded += 1
            continue
        except BudgetExceeded:
            excluded += 1
            continue
        invited += 1
        expected += row.probability
    campaign.status = Campaign.Status.SENT
    campaign.invited_count, campaign.excluded_count = invited, excluded
    campaign.expected_accepts = round(expected, 2)
    campaign.sent_at = timezone.now()
    campaign.save(
        update_fields=["status", "invited_count", "excluded_count", "expected_accepts", "sent_at"]
    )
    return campaign


class _Skip(Exception):
    """An invitee the programs app refused (over budget or already invited)."""


def campaign_respond(*, prediction: Prediction, outcome: str, actor=None) -> Prediction:
    """Record an invitee's answer (staff, e.g. the speaker said yes by email): the ask in the
    shared budget, the prediction and the profile."""
    from ovation.references.budget import Ask, ask_respond

    from .services import profile_refresh

    if outcome not in ("accepted", "declined", "completed", "ignored"):
        raise ServiceError(f"unknown outcome {outcome!r}", field="outcome")
    if prediction.campaign_id is None:
        raise NotFound("not a campaign invitation", field="prediction")
    with transaction.atomic():
        pred = Prediction.objects.select_for_update().get(pk=prediction.pk)
        if pred.ask_id:
            ask = Ask.objects.filter(pk=pred.ask_id).first()
            if ask is not None:
                ask_respond(ask=ask, status=outcome)
        pred.outcome, pred.responded_at = outcome, timezone.now()
        pred.save(update_fields=["outcome", "responded_at"])
    profile_refresh(contact=pred.contact)
    return pred
