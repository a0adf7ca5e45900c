"""Writes of the motivation engine: the ask taxonomy, profiles (rebuilt from observations),
responses and predictions. Campaign writes are in `campaigns.py` (re-exported here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from ovation.core.errors import ServiceError
from ovation.directory.models import Contact
from ovation.hub.models import MotivationAnswer

from . import evidence, model
from .defaults import ASK_TYPES, family_of
from .models import AskType, Observation, PopulationPrior, Prediction, Profile

# --- taxonomy -----------------------------------------------------------------------------------


def ask_types_ensure() -> int:
    """Create the default ask types that are missing (idempotent); returns how many."""
    existing = set(AskType.objects.values_list("key", flat=True))
    rows = [
        AskType(
            key=key,
            label=label,
            family=family_of(key),
            budget_activity_type=activity,
            value=value,
            fatigue_cost=cost,
            points=points,
            effort_minutes=minutes,
            uses_budget=uses_budget,
            motivators=dict(weights),
        )
        for key, (label, activity, value, cost, points, minutes, uses_budget, weights) in (
            ASK_TYPES.items()
        )
        if key not in existing
    ]
    AskType.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def ask_types_map() -> dict[str, AskType]:
    if not AskType.objects.exists():
        ask_types_ensure()
    return {t.key: t for t in AskType.objects.all()}


def _number(raw, *, key: str, field: str, lo: float, hi: float) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ServiceError(f"{key}: {field}: enter a number", field=f"{key}__{field}") from None
    if not lo <= value <= hi or value != value:
        raise ServiceError(
            f"{key}: {field}: must be between {lo:g} and {hi:g}", field=f"{key}__{field}"
        )
    return value


@transaction.atomic
def ask_types_update(*, rows: dict[str, dict]) -> list[AskType]:
    """Save edited ask types: {key: {value, fatigue_cost, uses_budget, is_active,
    motivators: {motivator: weight 0-1}}}. Every row is checked first; one bad value
    (named "key: field: message") changes nothing."""
    types = {t.key: t for t in AskType.objects.select_for_update().filter(key__in=list(rows))}
    cleaned = []
    for key, data in rows.items():
        t = types.get(key)
        if t is None:
            raise ServiceError(f"{key}: unknown ask type", field="key")
        weights = {}
        for m in model.MOTIVATORS:
            w = _number(data.get("motivators", {}).get(m, 0) or 0, key=key, field=m, lo=0, hi=1)
            if w:
                weights[m] = round(w, 3)
        if not weights:
            raise ServiceError(
                f"{key}: give at least one motivator a weight above 0", field=f"{key}__motivators"
            )
        value = _number(data.get("value", t.value), key=key, field="value", lo=0, hi=10)
        cost = _number(
            data.get("fatigue_cost", t.fatigue_cost), key=key, field="fatigue_cost", lo=0, hi=1
        )
        cleaned.append((t, value, cost, weights, data))
    for t, value, cost, weights, data in cleaned:
        t.value, t.fatigue_cost, t.motivators = value, cost, weights
        t.uses_budget = bool(data.get("uses_budget", t.uses_budget))
        t.is_active = bool(data.get("is_active", t.is_active))
        t.save(
            update_fields=[
                "value",
                "fatigue_cost",
                "motivators",
                "uses_budget",
                "is_active",
                "updated_at",
            ]
        )
    return [c[0] for c in cleaned]


def weight_vectors(types: dict[str, AskType]) -> dict[str, np.ndarray]:
    return {k: model.weight_vector(t.motivators) for k, t in types.items()}


# --- population prior and profiles --------------------------------------------------------------


def population_prior() -> tuple[np.ndarray, float]:
    row = PopulationPrior.objects.filter(key="default").first()
    if row is None or len(row.mean) != model.M:
        return np.full(model.M, model.DEFAULT_MEAN), model.DEFAULT_STRENGTH
    return np.array(row.mean, float), float(row.strength)


def answers_for(contact_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """The hub questionnaire for many contacts in one query (hub.selectors.motivation_answers
    reads one contact at a time)."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for cid, topic, rating in MotivationAnswer.objects.filter(
        contact_id__in=list(contact_ids)
    ).values_list("contact_id", "topic", "rating"):
        out[cid][topic] = rating
    return out


def profile_fields(
    observations: list[evidence.Obs],
    weights: dict[str, np.ndarray],
    pop_mean: np.ndarray,
    strength: float,
    *,
    answers: dict[str, int] | None,
    persona: str,
    seniority: str,
) -> dict:
    """The stored fields of one profile (pure apart from its inputs)."""
    mean, source = model.prior_mean(pop_mean, answers=answers, persona=persona, seniority=seniority)
    a0, b0 = model.prior_params(mean, strength)
    usable = [(weights[o.ask_type], o.outcome) for o in observations if o.ask_type in weights]
    alpha, beta, succ, fail = model.fold(a0, b0, usable)
    yes = sum(1 for _, outcome in usable if model.OUTCOME_Y[outcome])
    return {
        "alpha": [round(float(x), 5) for x in alpha],
        "beta": [round(float(x), 5) for x in beta],
        "successes": [round(float(x), 5) for x in succ],
        "failures": [round(float(x), 5) for x in fail],
        "prior_mean": [round(float(x), 5) for x in mean],
        "prior_source": source,
        "observations": len(usable),
        "accepted": yes,
        "declined": len(usable) - yes,
    }


PROFILE_FIELDS = [
    "alpha",
    "beta",
    "successes",
    "failures",
    "prior_mean",
    "prior_source",
    "observations",
    "accepted",
    "declined",
]


def _observation_rows(obs: list[evidence.Obs]) -> list[Observation]:
    return [
        Observation(
            contact_id=o.contact_id,
            ask_type=o.ask_type,
            outcome=o.outcome,
            occurred_at=o.occurred_at,
            source_key=o.source_key,
            target_type=o.target_type,
            target_id=o.target_id or 0,
            label=o.label[:200],
        )
        for o in obs
    ]


def _resolve(predictions: list[Prediction], obs: list[evidence.Obs], now: datetime) -> list:
    """Outcomes for pending predictions from what the contact did after being shown the ask
    (pure): the ask's own response, else a response to the same target, else "ignored" once
    `IGNORE_AFTER_DAYS` have passed."""
    by_key = {o.source_key: o for o in obs}
    by_target: dict[tuple, list[evidence.Obs]] = defaultdict(list)
    for o in obs:
        if o.target_type:
            by_target[(o.contact_id, o.target_type, o.target_id)].append(o)
    changed = []
    for p in predictions:
        hit = by_key.get(f"ask:{p.ask_id}") if p.ask_id else None
        if hit is None and p.target_type != "ask_type":
            after = [
                o
                for o in by_target.get((p.contact_id, p.target_type, p.target_id), [])
                if o.occurred_at >= p.shown_at - timedelta(minutes=1)
                and not o.source_key.startswith("prediction:")
            ]
            hit = after[0] if after else None
        if hit is not None and not (hit.outcome == "ignored" and p.ask_id is None):
            p.outcome, p.responded_at = hit.outcome, hit.occurred_at
            changed.append(p)
        elif p.shown_at < now - timedelta(days=evidence.IGNORE_AFTER_DAYS):
            p.outcome, p.responded_at = Prediction.Outcome.IGNORED, now
            changed.append(p)
    return changed


def profile_refresh(*, contact: Contact, now: datetime | None = None) -> Profile:
    """Re-read one contact's responses from every module, resolve its pending predictions and
    rebuild its profile against the current population prior (a handful of queries)."""
    now = now or timezone.now()
    obs = evidence.collect([contact.pk], now=now)
    types = ask_types_map()
    pop_mean, strength = population_prior()
    fields = profile_fields(
        obs,
        weight_vectors(types),
        pop_mean,
        strength,
        answers=answers_for([contact.pk]).get(contact.pk),
        persona=contact.persona,
        seniority=contact.seniority,
    )
    with transaction.atomic():
        Observation.objects.filter(contact=contact).delete()
        Observation.objects.bulk_create(_observation_rows(obs))
        pending = list(Prediction.objects.filter(contact=contact, outcome="pending"))
        changed = _resolve(pending, obs, now)
        if changed:
            Prediction.objects.bulk_update(changed, ["outcome", "responded_at"])
        profile, _ = Profile.objects.update_or_create(
            contact=contact, defaults={**fields, "updated_at": now}
        )
    return profile


def profiles_rebuild(
    *, progress: Callable[[str], None] | None = None, now: datetime | None = None
) -> dict:
    """Rebuild every observation, the population prior (empirical Bayes) and every profile;
    resolve pending predictions. Safe to re-run."""
    now = now or timezone.now()
    say = progress or (lambda msg: None)
    ask_types_ensure()
    types = ask_types_map()
    weights = weight_vectors(types)
    obs = evidence.collect(now=now)
    say(f"{len(obs)} responses read")
    by_contact: dict[int, list[evidence.Obs]] = defaultdict(list)
    for o in obs:
        by_contact[o.contact_id].append(o)
    answers = answers_for(MotivationAnswer.objects.values_list("contact_id", flat=True).distinct())
    ids = set(by_contact) | set(answers)
    people = {
        c["pk"]: c
        for c in Contact.objects.filter(pk__in=list(ids)).values("pk", "persona", "seniority")
    }

    def build(pop_mean, strength):
        return {
            cid: profile_fields(
                by_contact.get(cid, []),
                weights,
                pop_mean,
                strength,
                answers=answers.get(cid),
                persona=people[cid]["persona"],
                seniority=people[cid]["seniority"],
            )
            for cid in ids
            if cid in people
        }

    # Pass 1 with the default prior gives per-contact soft counts; empirical Bayes fits the
    # population on them; pass 2 rebuilds every profile on the fitted prior.
    default_mean = np.full(model.M, model.DEFAULT_MEAN)
    first = [
        profile_fields(
            [o for o in by_contact[cid] if o.solicited],
            weights,
            default_mean,
            model.DEFAULT_STRENGTH,
            answers=None,
            persona="",
            seniority="",
        )
        for cid in by_contact
    ]
    with_data = [f for f in first if f["observations"]]
    if with_data:
        succ = np.array([f["successes"] for f in with_data])
        fail = np.array([f["failures"] for f in with_data])
        pop_mean, strength = model.fit_population(succ, succ + fail)
    else:
        pop_mean, strength = np.full(model.M, model.DEFAULT_MEAN), model.DEFAULT_STRENGTH
    final = build(pop_mean, strength)
    say(f"population prior fitted: strength {strength:.1f}")

    with transaction.atomic():
        PopulationPrior.objects.update_or_create(
            key="default",
            defaults={
                "mean": [round(float(x), 5) for x in pop_mean],
                "strength": strength,
                "contacts": len(with_data),
                "observations": len(obs),
                "fitted_at": now,
            },
        )
        Observation.objects.all().delete()
        Observation.objects.bulk_create(_observation_rows(obs), batch_size=2000)
        Profile.objects.exclude(contact_id__in=list(final)).delete()
        existing = dict(Profile.objects.values_list("contact_id", "pk"))
        create, update = [], []
        for cid, fields in final.items():
            row = Profile(contact_id=cid, updated_at=now, **fields)
            if cid in existing:
                row.pk = existing[cid]
                update.append(row)
            else:
                create.append(row)
        Profile.objects.bulk_create(create, batch_size=2000)
        if update:
            Profile.objects.bulk_update(update, [*PROFILE_FIELDS, "updated_at"], batch_size=1000)
        pending = list(Prediction.objects.filter(outcome="pending"))
        changed = _resolve(pending, obs, now)
        Prediction.objects.bulk_update(changed, ["outcome", "responded_at"], batch_size=2000)
    say(f"{len(final)} profiles rebuilt, {len(changed)} predictions resolved")
    return {
        "observations": len(obs),
        "profiles": len(final),
        "predictions_resolved": len(changed),
        "prior_strength": round(strength, 2),
    }


# --- responses and predictions ------------------------------------------------------------------


def predictions_record(
    *,
    contact: Contact,
    recommendations: list,
    context: str,
    campaign=None,
    ask_id: int | None = None,
) -> int:
    """Remember what the model predicted for the asks shown (one open prediction per contact,
    place and ask: showing the same ask again records nothing new)."""
    if context not in Prediction.Context.values:
        raise ServiceError(f"unknown context {context!r}", field="context")
    rows = [
        Prediction(
            contact=contact,
            ask_type=r.ask_type.key,
            target_type=r.target_type,
            target_id=r.target_id,
            target_label=r.title[:200],
            context=context,
            probability=round(float(np.clip(r.probability, 0, 1)), 4),
            score=round(float(r.score), 4),
            explanation=r.explanation[:300],
            campaign=campaign,
            ask_id=ask_id,
        )
        for r in recommendations
    ]
    Prediction.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def recommendations_show(*, contact: Contact, limit: int = 3, context: str = "hub") -> list:
    """The recommendations for a page that shows them, recorded as predictions (the
    learning loop). Use it where the hub home renders "Recommended for you"."""
    from .recommend import recommend

    recs = recommend(contact, limit=limit, staff=context == Prediction.Context.STAFF).recommended
    predictions_record(contact=contact, recommendations=recs, context=context)
    return recs


def motivation_response_record(
    *,
    contact: Contact,
    ask_type: str,
    outcome: str,
    target_type: str = "ask_type",
    target_id: int = 0,
    label: str = "",
    context: str = Prediction.Context.HUB,
    probability: float | None = None,
) -> Prediction:
    """The contact answered an ask shown by Ovation (e.g. "not for me" in the hub): resolve
    the open prediction (or record one at the current prediction) and update the profile."""
    if outcome not in model.OUTCOMES:
        raise ServiceError(f"unknown outcome {outcome!r}", field="outcome")
    types = ask_types_map()
    if ask_type not in types:
        raise ServiceError(f"unknown ask type {ask_type!r}", field="ask_type")
    now = timezone.now()
    with transaction.atomic():
        pred = (
            Prediction.objects.select_for_update()
            .filter(
                contact=contact,
                context=context,
                ask_type=ask_type,
                target_type=target_type,
                target_id=target_id,
                outcome=Prediction.Outcome.PENDING,
            )
            .first()
        )
        if pred is None:
            if probability is None:
                from .recommend import contact_state

                state = contact_state(contact, types=types)
                probability = float(state.predict(types[ask_type]))
            pred = Prediction(
                contact=contact,
                ask_type=ask_type,
                target_type=target_type,
                target_id=target_id,
                target_label=label[:200],
                context=context,
                probability=round(float(np.clip(probability, 0, 1)), 4),
            )
        pred.outcome, pred.responded_at = outcome, now
        pred.save()
    profile_refresh(contact=contact, now=now)
    return pred


def profiles_refresh_many(*, contact_ids: Iterable[int]) -> int:
    n = 0
    for contact in Contact.objects.filter(pk__in=list(contact_ids)):
        profile_refresh(contact=contact)
        n += 1
    return n


from .campaigns import campaign_respond, campaign_send  # noqa: E402

__all__ = [
    "ask_types_ensure",
    "ask_types_map",
    "ask_types_update",
    "campaign_respond",
    "campaign_send",
    "motivation_response_record",
    "predictions_record",
    "profile_refresh",
    "profiles_rebuild",
    "recommendations_show",
]
