"""The recommender (reads only): every ask open to a contact, scored by expected acceptance
(from the profile) x value to the company - fatigue, explored with Thompson sampling, filtered
by the shared ask budget and the decline cooldown, each with its explanation."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.urls import reverse
from django.utils import timezone

from ovation.directory.models import Contact

from . import model
from .models import AskType, Observation, Prediction, Profile

STAGE_FIT = {"champion": 1.0, "advocate": 0.9, "promoter": 0.75, "customer": 0.5}
RATING_WORDS = {4: "love", 3: "like"}
TOPIC_PHRASES = {
    "speaking": "speaking at events",
    "writing": "writing",
    "events": "going to events",
    "product_input": "giving product input",
    "helping_peers": "helping peers",
    "learning": "learning new skills",
    "recognition": "being recognised",
    "rewards": "earning rewards",
}


@dataclass
class ContactState:
    """What the recommender knows about one contact (profile + evidence counts)."""

    contact: Contact
    alpha: np.ndarray
    beta: np.ndarray
    source: str
    answers: dict[str, int]
    counts: dict[str, Counter]  # ask type -> Counter(yes=, no=)
    declined_targets: dict[tuple[str, int], object]  # (target_type, id) -> when
    has_profile: bool

    def predict(self, ask_type: AskType) -> float:
        return float(model.predict(self.alpha, self.beta, model.weight_vector(ask_type.motivators)))

    @property
    def theta(self) -> np.ndarray:
        return model.theta_mean(self.alpha, self.beta)


def contact_state(contact: Contact, *, types: dict[str, AskType], now=None) -> ContactState:
    """Profile (or the prior when the contact has none yet) and its evidence (3-4 queries)."""
    from .services import answers_for, population_prior

    now = now or timezone.now()
    answers = answers_for([contact.pk]).get(contact.pk, {})
    profile = Profile.objects.filter(contact=contact).first()
    if profile is not None and len(profile.alpha) == model.M:
        alpha, beta = np.array(profile.alpha), np.array(profile.beta)
        source, has = profile.prior_source, True
    else:
        pop_mean, strength = population_prior()
        mean, source = model.prior_mean(
            pop_mean, answers=answers, persona=contact.persona, seniority=contact.seniority
        )
        alpha, beta = model.prior_params(mean, strength)
        has = False
    counts: dict[str, Counter] = {}
    declined: dict[tuple[str, int], object] = {}
    for ask_type, outcome, when, ttype, tid in Observation.objects.filter(
        contact=contact
    ).values_list("ask_type", "outcome", "occurred_at", "target_type", "target_id"):
        c = counts.setdefault(ask_type, Counter())
        c["yes" if model.OUTCOME_Y[outcome] else "no"] += 1
        c["declined" if outcome == "declined" else outcome] += 1
        if outcome == "declined":
            declined[(ttype or "ask_type", tid if ttype else 0)] = when
            declined.setdefault(("ask_type_key", ask_type), when)
    return ContactState(contact, alpha, beta, source, answers, counts, declined, has)


@dataclass
class Recommendation:
    ask_type: AskType
    target_type: str
    target_id: int
    title: str
    url: str
    points: int
    effort_minutes: int
    already_asked: bool = False
    probability: float = 0.0
    sample: float = 0.0
    score: float = 0.0
    motivator: str = ""
    explanation: str = ""
    evidence: str = ""
    blocked: str = ""
    blocked_rule: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return round(100 * self.probability)

    @property
    def motivator_label(self) -> str:
        return model.MOTIVATOR_LABELS.get(self.motivator, "")

    @property
    def icon_kind(self) -> str:
        """A hub challenge kind for the card's icon and colour."""
        if self.target_type == "challenge":
            return self.extras.get("kind", "custom")
        return {
            "event": "event",
            "program": "cab",
            "reference_request": "reference_call",
        }.get(
            self.target_type, "speaking" if self.ask_type.family == "speaking" else "reference_call"
        )

    @property
    def key(self) -> str:
        return f"{self.ask_type.key}:{self.target_type}:{self.target_id}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def short_label(label: str) -> str:
    """ "Speaking slot (challenge)" -> "speaking slot": for sentences."""
    return label.split(" (")[0].lower()


def _minutes(m: int) -> str:
    if m >= 480:
        return "a day"
    if m >= 240:
        return "half a day"
    if m >= 60:
        return f"{m // 60} hour{'s' if m >= 120 else ''}"
    return f"{m} minutes"


def explain(rec: Recommendation, state: ContactState, types: dict[str, AskType], *, you=True):
    """ "You enjoy giving product input: accepted 3 of 3 feedback asks · 120 points · 15
    minutes". Names the evidence: this kind of ask, else asks tapping the same motivator,
    else the questionnaire, else what advocates like them do."""
    w = model.weight_vector(rec.ask_type.motivators)
    m = model.top_motivator(state.alpha, state.beta, w)
    rec.motivator = m
    phrase = model.MOTIVATOR_PHRASES[m]
    if not you:
        phrase = phrase.replace("you enjoy", "enjoys").replace("you like", "likes")
        phrase = phrase.replace("your peers", "their peers")
    own = state.counts.get(rec.ask_type.key)
    label = short_label(rec.ask_type.label)
    if own and own["yes"] + own["no"]:
        n = own["yes"] + own["no"]
        evidence = f"accepted {own['yes']} of {n} {label} ask{'s' if n != 1 else ''}"
        if own["yes"] == 0:
            # Thompson sampling still offers it now and then: say so honestly.
            phrase = "worth another look?" if you else "worth trying again"
            evidence = (
                f"{'you' if you else 'they'} said no to {n} {label} ask{'s' if n != 1 else ''}"
                " before"
            )
    else:
        yes = n = 0
        for key, c in state.counts.items():
            t = types.get(key)
            if (
                t
                and model.top_motivator(
                    np.ones(model.M), np.ones(model.M), model.weight_vector(t.motivators)
                )
                == m
            ):
                yes += c["yes"]
                n += c["yes"] + c["no"]
        if n:
            evidence = (
                f"accepted {yes} of {n} ask{'s' if n != 1 else ''} about "
                f"{model.MOTIVATOR_LABELS[m].lower()}"
            )
        else:
            topic = max(
                (t for t, mot in model.TOPIC_MOTIVATORS.items() if m in mot and t in state.answers),
                key=lambda t: state.answers[t],
                default=None,
            )
            if topic is not None and state.answers[topic] >= 3:
                word = RATING_WORDS[state.answers[topic]]
                subject = "you told us you" if you else "said they"
                evidence = f"{subject} {word} {TOPIC_PHRASES[topic]}"
            elif you:
                evidence = "a favourite of advocates like you"
            else:
                evidence = (
                    f"{rec.percent}% likely, from the population (no answers of their own yet)"
                )
    rec.evidence = evidence
    if phrase.endswith("?"):  # a question, then a sentence
        reason = f"{_cap(phrase)} {_cap(evidence)}"
    else:
        reason = f"{_cap(phrase)}: {evidence}"
    parts = [reason]
    if rec.points:
        parts.append(f"{rec.points} points")
    parts.append(_minutes(rec.effort_minutes))
    rec.explanation = " · ".join(parts)
    return rec.explanation


def candidates(contact: Contact, *, types: dict[str, AskType], staff: bool = False):
    """Every ask open to the contact: hub challenges they may still do, upcoming events they
    have not answered, programs they may join, reference requests waiting for their answer,
    and (for staff) the asks a CSM can make directly (references, speaking slots)."""
    from ovation.hub import selectors as hub_selectors
    from ovation.programs import selectors as program_selectors
    from ovation.references import selectors as ref_selectors

    out: list[Recommendation] = []
    level = hub_selectors.contact_level(contact=contact)
    for item in hub_selectors.challenge_feed(contact=contact, level=level):
        c = item.challenge
        t = types.get(f"challenge.{c.kind}")
        if not item.can_do or t is None or not t.is_active:
            continue
        out.append(
            Recommendation(
                t,
                "challenge",
                c.pk,
                c.title,
                reverse("hub:challenge-detail", args=[c.pk]),
                c.points,
                c.effort_minutes,
                extras={"summary": c.summary, "kind": c.kind},
            )
        )
    for event in program_selectors.events_for_contact(contact=contact, upcoming=True):
        t = types.get(f"event.{event.kind}")
        if event.my_rsvp or t is None or not t.is_active or event.has_started:
            continue
        out.append(
            Recommendation(
                t,
                "event",
                event.pk,
                event.title,
                reverse("programs:hub-event", args=[event.pk]),
                event.attendance_points,
                max(15, int((event.ends_at - event.starts_at).total_seconds() // 60)),
                extras={"starts_at": event.starts_at},
            )
        )
    _mine, others = program_selectors.hub_programs(contact=contact)
    for hp in others:
        t = types.get(f"program.{hp.program.kind}")
        if not hp.can_apply or t is None or not t.is_active:
            continue
        out.append(
            Recommendation(
                t,
                "program",
                hp.program.pk,
                hp.program.name,
                reverse("programs:hub-program", args=[hp.program.pk]),
                t.points,
                t.effort_minutes,
                extras={"summary": hp.program.tagline},
            )
        )
    for a in ref_selectors.hub_assignments(contact=contact).filter(status="invited"):
        t = types.get(f"reference.{a.request.activity_type}")
        if t is None:
            continue
        out.append(
            Recommendation(
                t,
                "reference_request",
                a.request_id,
                f"{t.label} for a prospect"
                + (f" in {a.request.industry.name}" if a.request.industry_id else ""),
                reverse("references:hub-requests"),
                t.points,
                a.request.duration_minutes,
                already_asked=True,
            )
        )
    if staff:
        for t in types.values():
            if t.is_active and t.family in ("reference", "speaking"):
                out.append(
                    Recommendation(t, "ask_type", 0, t.label, "", t.points, t.effort_minutes)
                )
    return out


@dataclass
class RecommendationSet:
    contact: Contact
    state: ContactState
    recommended: list[Recommendation]
    others: list[Recommendation]
    excluded: list[Recommendation]
    recent_asks: int = 0
    cap: int = 0

    @property
    def all_ranked(self) -> list[Recommendation]:
        return self.recommended + self.others


def request_seed(contact_id: int, day=None) -> int:
    """A seed per contact and day: the exploration is reproducible and the page does not
    reshuffle on every refresh."""
    day = day or timezone.localdate()
    digest = hashlib.sha256(f"motivation:{contact_id}:{day.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def recommend(
    contact: Contact,
    *,
    limit: int = 3,
    seed: int | None = None,
    staff: bool = False,
    types: dict[str, AskType] | None = None,
    now=None,
) -> RecommendationSet:
    from ovation.references.budget import ask_budget_check, overall_policy
    from ovation.references.selectors import ask_list

    from .services import ask_types_map

    now = now or timezone.now()
    types = types or ask_types_map()
    state = contact_state(contact, types=types, now=now)
    recs = candidates(contact, types=types, staff=staff)
    policy = overall_policy()
    since = now - timedelta(days=policy.window_days or 90)
    recent = ask_list(contact=contact).filter(asked_at__gte=since).count()
    cap = policy.max_asks_in_window if policy.is_active else 0
    cooldown = timedelta(days=policy.decline_cooldown_days or 30)

    # Decline cooldown first (never repeat a declined ask), then the shared budget, checked
    # once per budget activity type.
    decisions: dict[str, object] = {}
    for r in recs:
        when = state.declined_targets.get((r.target_type, r.target_id))
        if r.target_type == "ask_type":
            when = state.declined_targets.get(("ask_type_key", r.ask_type.key))
        if when is not None and when > now - cooldown:
            until = timezone.localdate(when + cooldown)
            r.blocked, r.blocked_rule = (
                f"declined on {timezone.localdate(when):%d %b}; not asked again before "
                f"{until:%d %b}",
                "motivation.decline_cooldown",
            )
            continue
        if r.ask_type.uses_budget and not r.already_asked:
            activity = r.ask_type.budget_activity_type
            if activity not in decisions:
                decisions[activity] = ask_budget_check(contact=contact, activity_type=activity)
            d = decisions[activity]
            if not d.allowed:
                r.blocked, r.blocked_rule = d.reason, d.rule or "budget"

    live = [r for r in recs if not r.blocked]
    if live:
        W = np.array([model.weight_vector(r.ask_type.motivators) for r in live])
        rng = np.random.default_rng(request_seed(contact.pk) if seed is None else seed)
        p = model.predict(state.alpha, state.beta, W)
        sample = model.thompson(state.alpha, state.beta, W, rng)
        value = np.array([r.ask_type.value for r in live])
        cost = np.array([r.ask_type.fatigue_cost for r in live])
        # Asks already made (a reference request waiting) carry no new fatigue.
        load = np.array(
            [0.0 if r.already_asked else model.fatigue_load(recent, cap) for r in live], float
        )
        score = model.score(sample, value, cost, load)
        for r, pi, si, sc in zip(live, p, sample, score, strict=True):
            r.probability, r.sample, r.score = float(pi), float(si), float(sc)
        live.sort(key=lambda r: (-r.score, r.title))
    for r in live:
        explain(r, state, types, you=not staff)
    excluded = [r for r in recs if r.blocked]
    for r in excluded:
        r.probability = state.predict(r.ask_type)
    return RecommendationSet(
        contact, state, live[:limit], live[limit:], excluded, recent_asks=recent, cap=cap
    )


def pending_hub_predictions(contact: Contact) -> set[str]:
    return {
        f"{a}:{t}:{i}"
        for a, t, i in Prediction.objects.filter(
            contact=contact, outcome="pending", context="hub"
        ).values_list("ask_type", "target_type", "target_id")
    }
