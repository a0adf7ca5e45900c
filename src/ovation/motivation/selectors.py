"""Reads of the motivation engine, for its own pages and for other modules:

- `recommended_asks(*, contact, limit=3, seed=None)` -> list[Recommendation] for the hub feed
  (partial `motivation/partials/_hub_recommended.html`, context `recommendations`);
- `next_best_asks(*, contact, limit=3)` -> NextBest for the staff contact page (partial
  `motivation/partials/_contact_next_best.html`, context `next_best`);
- `acceptance_by_motivator_and_type()` -> rows {motivator, ask_type, asked, accepted, rate}
  for Insights;
- `calibration_summary()` -> predicted vs observed acceptance by decile.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q, QuerySet

from ovation.directory.models import Contact

from . import model
from .models import AskType, Campaign, Observation, PopulationPrior, Prediction, Profile
from .recommend import Recommendation, RecommendationSet, recommend


def recommended_asks(
    *, contact: Contact, limit: int = 3, seed: int | None = None
) -> list[Recommendation]:
    """The best asks for this advocate now, each with `.explanation`, `.url`, `.percent`."""
    return recommend(contact, limit=limit, seed=seed).recommended


def hub_for_you(*, contact: Contact, limit: int = 3, seed: int | None = None) -> RecommendationSet:
    return recommend(contact, limit=limit, seed=seed)


@dataclass
class NextBest:
    contact: Contact
    asks: list[Recommendation]
    excluded: list[Recommendation]
    profile: Profile | None
    top_motivators: list[tuple[str, int]]
    recent_asks: int
    cap: int


def next_best_asks(*, contact: Contact, limit: int = 3, seed: int | None = None) -> NextBest:
    """For CSMs and managers: the next best asks for this contact (including asks they can
    make directly, such as a reference call), what the budget excludes, and the top
    motivators."""
    rs = recommend(contact, limit=limit, seed=seed, staff=True)
    theta = rs.state.theta
    top = [
        (model.MOTIVATOR_LABELS[model.MOTIVATORS[i]], round(100 * float(theta[i])))
        for i in np.argsort(-theta)[:3]
    ]
    profile = Profile.objects.filter(contact=contact).first() if rs.state.has_profile else None
    return NextBest(contact, rs.recommended, rs.excluded[:5], profile, top, rs.recent_asks, rs.cap)


@dataclass
class ProfileView:
    contact: Contact
    profile: Profile | None
    chart: dict
    evidence: list[dict]
    summary: str
    recent: list[Observation]
    source_label: str
    prior_strength: float


def profile_view(*, contact: Contact) -> ProfileView:
    """The profile chart data (posterior mean and 80% interval per motivator, the
    population mean), evidence per ask type and the latest responses."""
    from scipy.stats import beta as beta_dist

    from .recommend import contact_state
    from .services import ask_types_map, population_prior

    types = ask_types_map()
    state = contact_state(contact, types=types)
    pop_mean, strength = population_prior()
    lo = beta_dist.ppf(0.1, state.alpha, state.beta)
    hi = beta_dist.ppf(0.9, state.alpha, state.beta)
    chart = {
        "labels": [model.MOTIVATOR_LABELS[m] for m in model.MOTIVATORS],
        "mean": [round(100 * float(x), 1) for x in state.theta],
        "low": [round(100 * float(x), 1) for x in lo],
        "high": [round(100 * float(x), 1) for x in hi],
        "population": [round(100 * float(x), 1) for x in pop_mean],
    }
    evidence = []
    for key, c in sorted(state.counts.items(), key=lambda kv: -(kv[1]["yes"] + kv[1]["no"])):
        t = types.get(key)
        evidence.append(
            {
                "ask_type": key,
                "label": t.label if t else key,
                "accepted": c["yes"],
                "declined": c["declined"],
                "ignored": c["ignored"],
                "completed": c["completed"],
                "total": c["yes"] + c["no"],
            }
        )
    phrases = []
    from .recommend import short_label

    for e in evidence[:4]:
        label = short_label(e["label"])
        if e["declined"]:
            phrases.append(
                f"declined {e['declined']} {label} ask{'s' if e['declined'] > 1 else ''}"
            )
        if e["accepted"]:
            phrases.append(
                f"accepted {e['accepted']} {label} ask{'s' if e['accepted'] > 1 else ''}"
            )
    profile = Profile.objects.filter(contact=contact).first()
    recent = list(Observation.objects.filter(contact=contact).order_by("-occurred_at", "-id")[:12])
    source = dict(Profile.Source.choices).get(state.source, state.source)
    return ProfileView(
        contact,
        profile,
        chart,
        evidence,
        ", ".join(phrases),
        recent,
        source,
        strength,
    )


def acceptance_by_motivator_and_type(*, since=None) -> list[dict]:
    """Real acceptance by motivator x ask type, from every recorded response: one row per
    (motivator the ask type appeals to, ask type): {motivator, motivator_label, ask_type,
    ask_type_label, asked, accepted, rate}. An ask type counts under each of its motivators."""
    from .services import ask_types_map

    types = ask_types_map()
    qs = Observation.objects.all()
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    rows = qs.values("ask_type").annotate(
        asked=Count("id"), accepted=Count("id", filter=Q(outcome__in=["accepted", "completed"]))
    )
    out = []
    for r in rows:
        t = types.get(r["ask_type"])
        if t is None:
            continue
        for m, w in sorted(t.motivators.items(), key=lambda kv: -float(kv[1] or 0)):
            if m not in model.INDEX or not float(w or 0):
                continue
            out.append(
                {
                    "motivator": m,
                    "motivator_label": model.MOTIVATOR_LABELS[m],
                    "ask_type": t.key,
                    "ask_type_label": t.label,
                    "asked": r["asked"],
                    "accepted": r["accepted"],
                    "rate": round(r["accepted"] / r["asked"], 4) if r["asked"] else 0.0,
                }
            )
    out.sort(key=lambda r: (model.INDEX[r["motivator"]], -r["asked"], r["ask_type"]))
    return out


def acceptance_by_motivator() -> list[dict]:
    """Acceptance per motivator, each response weighted by its ask type's weight on it."""
    totals: dict[str, Counter] = defaultdict(Counter)
    from .services import ask_types_map

    types = ask_types_map()
    for r in (
        Observation.objects.values("ask_type")
        .annotate(
            asked=Count("id"),
            accepted=Count("id", filter=Q(outcome__in=["accepted", "completed"])),
        )
        .order_by()
    ):
        t = types.get(r["ask_type"])
        if t is None:
            continue
        w = model.weight_vector(t.motivators)
        for i, m in enumerate(model.MOTIVATORS):
            totals[m]["asked"] += w[i] * r["asked"]
            totals[m]["accepted"] += w[i] * r["accepted"]
    return [
        {
            "motivator": m,
            "label": model.MOTIVATOR_LABELS[m],
            "asked": round(totals[m]["asked"], 1),
            "rate": round(totals[m]["accepted"] / totals[m]["asked"], 4)
            if totals[m]["asked"]
            else 0.0,
        }
        for m in model.MOTIVATORS
    ]


def calibration_summary(*, context: str | None = None) -> dict:
    """Predicted vs observed acceptance by decile over resolved predictions."""
    qs = Prediction.objects.exclude(outcome=Prediction.Outcome.PENDING)
    if context:
        qs = qs.filter(context=context)
    rows = list(qs.values_list("probability", "outcome"))
    p = np.array([r[0] for r in rows], float)
    y = np.array([1.0 if r[1] in ("accepted", "completed") else 0.0 for r in rows])
    bins = model.calibration(p, y)
    counts = dict(
        Prediction.objects.values("context").annotate(n=Count("id")).values_list("context", "n")
    )
    return {
        "n": len(rows),
        "pending": Prediction.objects.filter(outcome="pending").count(),
        "bins": bins,
        "ece": model.calibration_error(p, y) if rows else None,
        "brier": model.brier(p, y) if rows else None,
        "mean_predicted": float(p.mean()) if rows else None,
        "mean_observed": float(y.mean()) if rows else None,
        "by_context": counts,
        "chart": {
            "labels": [f"{b.lo:.0%}–{b.hi:.0%}" for b in bins],
            "predicted": [round(100 * b.predicted, 1) if b.n else None for b in bins],
            "observed": [round(100 * b.observed, 1) if b.n else None for b in bins],
            "n": [b.n for b in bins],
        },
    }


def population() -> PopulationPrior | None:
    return PopulationPrior.objects.filter(key="default").first()


def ask_type_list() -> QuerySet[AskType]:
    return AskType.objects.order_by("family", "label")


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("created_by").annotate(
        accepted=Count("predictions", filter=Q(predictions__outcome__in=["accepted", "completed"])),
        declined=Count("predictions", filter=Q(predictions__outcome="declined")),
    )


def campaign_get(*, pk: int) -> Campaign:
    return campaign_list().get(pk=pk)


def campaign_invitees(*, campaign: Campaign) -> QuerySet[Prediction]:
    return campaign.predictions.select_related("contact", "contact__account").order_by(
        "-probability", "pk"
    )
