"""Demo data for the motivation engine: the default ask types, a year of past campaigns whose
answers follow each advocate's (hidden) motivators, the predictions the model would have made
before each answer (an honest back-test, so the calibration page has data), and profiles
rebuilt from everything the earlier demos recorded (hub submissions, reference asks)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from ovation.directory.models import Contact
from ovation.hub.models import MotivationAnswer
from ovation.references.budget import Ask

from . import model
from .models import Campaign, Observation, PopulationPrior, Prediction, Profile
from .services import ask_types_ensure, ask_types_map, profiles_rebuild

DEMO_TAG = {"demo": True}
CAMPAIGNS = [
    # (name, ask type, days ago, invitees at small scale)
    ("Speakers for Acme Summit", "speaking.slot", 300, 60),
    ("Product feedback panel: reporting", "challenge.feedback", 260, 90),
    ("Customer dinner, London", "event.dinner", 230, 50),
    ("Reference calls for Q2 deals", "reference.call", 200, 60),
    ("Join the beta: AI assistant", "program.beta", 170, 70),
    ("Case studies for the healthcare launch", "challenge.case_study", 140, 50),
    ("User group meetups", "event.meetup", 110, 70),
    ("Advisory board recruitment", "program.cab", 80, 50),
    ("Webinar panelists", "challenge.panel", 55, 50),
    ("Product feedback: new dashboards", "challenge.feedback", 35, 90),
]


def already_loaded(ctx) -> bool:
    return Campaign.objects.filter(filters__demo=True).exists()


def reset(ctx) -> None:
    ids = list(Campaign.objects.filter(filters__demo=True).values_list("pk", flat=True))
    Ask.objects.filter(source_type="campaign", source_id__in=[str(i) for i in ids]).delete()
    Campaign.objects.filter(pk__in=ids).delete()
    Prediction.objects.all().delete()
    Observation.objects.all().delete()
    Profile.objects.all().delete()
    PopulationPrior.objects.all().delete()


def _truth(contacts, answers, rng: np.random.Generator) -> np.ndarray:
    """Hidden motivators: from the questionnaire where answered (people mostly tell the truth),
    else two strong motivators drawn from the population."""
    theta = rng.beta(1.2, 6.0, size=(len(contacts), model.M))
    popularity = np.array([0.15, 0.16, 0.11, 0.16, 0.12, 0.12, 0.09, 0.09])
    for i, c in enumerate(contacts):
        if c.pk in answers:
            shift, _ = model.prior_shift(answers=answers[c.pk])
            theta[i] = model.shifted_mean(
                np.full(model.M, 0.25), shift + rng.normal(0, 0.4, model.M)
            )
        else:
            strong = rng.choice(model.M, 2, replace=False, p=popularity)
            theta[i, strong] = rng.beta(6.0, 2.5, size=2)
    return theta


def load(ctx) -> None:
    ask_types_ensure()
    types = ask_types_map()
    seed = ctx.rng("motivation").randrange(2**32)
    rng = np.random.default_rng(seed)
    contacts = list(
        Contact.objects.filter(
            is_active=True, stage__in=["promoter", "advocate", "champion"]
        ).order_by("pk")[: 400 * ctx.factor]
    )
    if not contacts:
        return
    answers: dict[int, dict[str, int]] = {}
    for cid, topic, rating in MotivationAnswer.objects.filter(
        contact_id__in=[c.pk for c in contacts]
    ).values_list("contact_id", "topic", "rating"):
        answers.setdefault(cid, {})[topic] = rating
    theta = _truth(contacts, answers, rng)
    index = {c.pk: i for i, c in enumerate(contacts)}

    # The model's view before the campaigns: the prior of each contact.
    pop = np.full(model.M, model.DEFAULT_MEAN)
    alpha = np.zeros((len(contacts), model.M))
    beta = np.zeros((len(contacts), model.M))
    for i, c in enumerate(contacts):
        mean, _ = model.prior_mean(
            pop, answers=answers.get(c.pk), persona=c.persona, seniority=c.seniority
        )
        alpha[i], beta[i] = model.prior_params(mean, model.DEFAULT_STRENGTH)

    last_asked = np.full(len(contacts), -10_000.0)
    campaigns, asks, predictions = [], [], []
    for name, key, days_ago, n in ctx.track(CAMPAIGNS, description="Motivation history"):
        t = types[key]
        w = model.weight_vector(t.motivators)
        when = ctx.now - timedelta(days=days_ago)
        campaign = Campaign.objects.create(
            name=name,
            ask_type=key,
            target_label=t.label,
            size=n * ctx.factor,
            filters=DEMO_TAG,
            status=Campaign.Status.SENT,
            created_at=when - timedelta(days=1),
            sent_at=when,
        )
        campaigns.append(campaign)
        # Ovation picked the best-fit advocates within the budget (min. 20 days between asks).
        rested = np.flatnonzero(last_asked < -days_ago - 20)
        sample = model.thompson(alpha[rested], beta[rested], w[None, :], rng)[:, 0]
        chosen = rested[np.argsort(-sample)[: n * ctx.factor]]
        p_model = model.predict(alpha[chosen], beta[chosen], w[None, :])[:, 0]
        p_true = theta[chosen] @ w
        yes = rng.random(len(chosen)) < p_true
        for j, i in enumerate(chosen):
            contact = contacts[i]
            if yes[j]:
                status = "completed" if rng.random() < 0.75 else "accepted"
            else:
                status = "ignored" if rng.random() < 0.3 else "declined"
            answered = when + timedelta(days=float(rng.uniform(0.5, 6)))
            asks.append(
                Ask(
                    contact=contact,
                    account_id=contact.account_id,
                    channel=Ask.Channel.MOTIVATION,
                    activity_type=t.budget_activity_type,
                    asked_at=when,
                    status=status,
                    responded_at=None if status == "ignored" else answered,
                    source_type="campaign",
                    source_id=str(campaign.pk),
                    note=f"Campaign: {name}",
                )
            )
            predictions.append(
                Prediction(
                    contact=contact,
                    ask_type=key,
                    target_label=t.label,
                    context=Prediction.Context.CAMPAIGN,
                    probability=round(float(p_model[j]), 4),
                    score=round(float(p_model[j]), 4),
                    explanation=f"{p_model[j]:.0%} expected to accept",
                    campaign=campaign,
                    outcome=status,
                    shown_at=when,
                    responded_at=answered,
                )
            )
            a, b, *_ = model.update(alpha[i], beta[i], w, status)
            alpha[i], beta[i] = a, b
        last_asked[chosen] = -days_ago
        campaign.invited_count = len(chosen)
        campaign.expected_accepts = round(float(p_model.sum()), 2)
        campaign.save(update_fields=["invited_count", "expected_accepts"])

    created = Ask.objects.bulk_create(asks, batch_size=2000)
    for pred, ask in zip(predictions, created, strict=True):
        pred.ask_id = ask.pk
    Prediction.objects.bulk_create(predictions, batch_size=2000)
    del index
    profiles_rebuild()
