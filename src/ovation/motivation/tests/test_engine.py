"""Profiles, recommendations, the shared budget and campaigns, against the real modules."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from ovation.core.errors import Conflict
from ovation.hub.models import Challenge, MotivationAnswer
from ovation.hub.services import submission_create
from ovation.motivation import selectors, services
from ovation.motivation.campaigns import campaign_plan
from ovation.motivation.models import Campaign, Observation, Prediction, Profile
from ovation.references.budget import Ask, ask_record

from .factories import AdvocateFactory, ChallengeFactory, StaffFactory, past_asks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _types():
    services.ask_types_ensure()


def test_profile_learns_from_asks_in_the_shared_budget():
    c = AdvocateFactory()
    past_asks(c, kind="speaking", outcome="declined", n=2)
    past_asks(c, kind="feedback", outcome="accepted", n=3, title="Roadmap survey")
    profile = services.profile_refresh(contact=c)
    assert (profile.observations, profile.accepted, profile.declined) == (5, 3, 2)
    assert Observation.objects.filter(contact=c, ask_type="challenge.speaking").count() == 2
    state_p = selectors.next_best_asks(contact=c).asks  # noqa: F841
    view = selectors.profile_view(contact=c)
    say, spotlight = view.chart["mean"][1], view.chart["mean"][2]
    assert say > 50 > 30 > spotlight
    assert view.summary == (
        "accepted 3 product feedback / survey asks, declined 2 speaking slot asks"
    )


def test_a_decline_lowers_and_an_acceptance_raises_the_stored_profile():
    c = AdvocateFactory()
    base = services.profile_refresh(contact=c)
    past_asks(c, kind="feedback", outcome="accepted", n=1)
    up = services.profile_refresh(contact=c)
    say = 1
    assert up.alpha[say] > base.alpha[say] and up.beta[say] == base.beta[say]
    past_asks(c, kind="feedback", outcome="declined", n=2)
    down = services.profile_refresh(contact=c)
    assert down.beta[say] > up.beta[say]
    assert up.alpha[say] / (up.alpha[say] + up.beta[say]) > down.alpha[say] / (
        down.alpha[say] + down.beta[say]
    )


def test_new_contact_gets_the_population_prior_and_questionnaire_shifts_it():
    c = AdvocateFactory()
    services.profile_refresh(contact=c)
    profile = Profile.objects.get(contact=c)
    assert profile.prior_source == "population" and profile.observations == 0
    assert profile.prior_mean == [0.3] * 8
    MotivationAnswer.objects.create(contact=c, topic="product_input", rating=4)
    profile = services.profile_refresh(contact=c)
    assert profile.prior_source == "questionnaire" and profile.prior_mean[1] == 0.56776


def test_recompute_fits_the_population_and_is_repeatable():
    from ovation.motivation import recompute

    people = [AdvocateFactory() for _ in range(3)]
    for c in people:
        past_asks(c, kind="feedback", outcome="accepted", n=2)
    first = recompute.run()
    second = recompute.run()
    assert first == second
    assert first["observations"] == 6 and first["profiles"] == 3
    assert Observation.objects.count() == 6 and Profile.objects.count() == 3


def test_hub_submission_is_evidence_and_resolves_the_prediction(
    django_capture_on_commit_callbacks,
):
    c = AdvocateFactory()
    ch = ChallengeFactory(kind=Challenge.Kind.FEEDBACK, approval_mode="auto", points=120)
    recs = selectors.recommended_asks(contact=c, limit=3, seed=1)
    assert [r.target_id for r in recs] == [ch.pk]
    services.predictions_record(contact=c, recommendations=recs, context="hub")
    services.predictions_record(contact=c, recommendations=recs, context="hub")  # no duplicate
    assert Prediction.objects.filter(contact=c).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(challenge=ch, contact=c)  # its event refreshes the profile
    pred = Prediction.objects.get(contact=c)
    assert pred.outcome == "completed"
    assert Profile.objects.get(contact=c).accepted == 1


def test_explanation_names_the_evidence():
    c = AdvocateFactory()
    past_asks(c, kind="feedback", outcome="accepted", n=3)
    ChallengeFactory(kind=Challenge.Kind.FEEDBACK, points=120, effort_minutes=15)
    services.profile_refresh(contact=c)
    rec = selectors.recommended_asks(contact=c, seed=1)[0]
    assert rec.explanation == (
        "You enjoy giving product input: accepted 3 of 3 product feedback / survey asks"
        " · 120 points · 15 minutes"
    )


def test_explanation_falls_back_to_the_questionnaire_then_the_population():
    c = AdvocateFactory()
    ChallengeFactory(kind=Challenge.Kind.LEARNING, points=50, effort_minutes=15)
    rec = selectors.recommended_asks(contact=c, seed=1)[0]
    assert rec.explanation.startswith(
        "You like learning new skills: a favourite of advocates like you"
    )
    MotivationAnswer.objects.create(contact=c, topic="learning", rating=4)
    services.profile_refresh(contact=c)
    rec = selectors.recommended_asks(contact=c, seed=1)[0]
    assert rec.explanation.startswith("You like learning new skills: you told us you love learning")


def test_an_ask_recorded_by_references_blocks_a_budgeted_recommendation():
    c = AdvocateFactory()
    ChallengeFactory(kind=Challenge.Kind.SPEAKING, title="Speak at Summit")
    ChallengeFactory(kind=Challenge.Kind.QUIZ, title="Quiz")
    before = {r.title for r in selectors.hub_for_you(contact=c, seed=1).all_ranked}
    assert before == {"Speak at Summit", "Quiz"}
    # Sales asks for a reference call today: the overall 14-day gap applies to every push ask.
    ask_record(contact=c, activity_type="call", channel="reference")
    rs = selectors.hub_for_you(contact=c, seed=1)
    assert [r.title for r in rs.all_ranked] == ["Quiz"]  # self-serve asks stay
    assert [r.title for r in rs.excluded] == ["Speak at Summit"]
    assert rs.excluded[0].blocked_rule == "overall.min_days_between"


def test_a_declined_ask_is_not_repeated_within_the_cooldown():
    c = AdvocateFactory()
    ch = ChallengeFactory(kind=Challenge.Kind.QUIZ, title="Puzzle")
    services.motivation_response_record(
        contact=c,
        ask_type="challenge.quiz",
        outcome="declined",
        target_type="challenge",
        target_id=ch.pk,
        label=ch.title,
    )
    rs = selectors.hub_for_you(contact=c, seed=1)
    assert rs.all_ranked == []
    assert rs.excluded[0].blocked_rule == "motivation.decline_cooldown"
    assert Profile.objects.get(contact=c).declined == 1
    # after the cooldown (30 days) it may come back
    Prediction.objects.update(responded_at=timezone.now() - timedelta(days=31))
    services.profile_refresh(contact=c)
    assert [r.title for r in selectors.hub_for_you(contact=c, seed=1).all_ranked] == ["Puzzle"]


def test_campaign_ranks_and_never_exceeds_the_budget():
    manager = StaffFactory()
    keen = [AdvocateFactory() for _ in range(3)]
    for c in keen:
        MotivationAnswer.objects.create(contact=c, topic="speaking", rating=4)
    shy = [AdvocateFactory() for _ in range(3)]
    for c in shy:
        MotivationAnswer.objects.create(contact=c, topic="speaking", rating=0)
    services.profiles_rebuild()
    busy = keen[0]
    ask_record(contact=busy, activity_type="call", channel="reference")  # asked today

    plan = campaign_plan(ask_type="speaking.slot", size=3)
    assert [r.contact for r in plan.invite] == [keen[1], keen[2], shy[0]]
    assert [(r.contact, r.rule) for r in plan.excluded] == [(busy, "overall.min_days_between")]

    campaign = services.campaign_send(
        name="Speak at our user conference", ask_type="speaking.slot", size=3, actor=manager
    )
    assert (campaign.invited_count, campaign.excluded_count) == (3, 1)
    asks = Ask.objects.filter(channel="motivation", source_type="campaign")
    assert sorted(a.contact_id for a in asks) == sorted([keen[1].pk, keen[2].pk, shy[0].pk])
    assert Prediction.objects.filter(campaign=campaign, ask_id__isnull=False).count() == 3
    from ovation.automations.models import EmailMessage

    assert EmailMessage.objects.filter(to__in=[a.contact.email for a in asks]).count() == 3
    # A second campaign the same day can only reach the two not asked yet.
    again = services.campaign_send(name="Again", ask_type="speaking.slot", size=3, actor=manager)
    assert (again.invited_count, again.excluded_count) == (2, 4)
    per_contact = Counter(Ask.objects.values_list("contact_id", flat=True))
    assert set(per_contact.values()) == {1}  # nobody asked twice within the 14-day gap
    with pytest.raises(Conflict, match="nobody in this segment"):
        services.campaign_send(name="Third", ask_type="speaking.slot", size=3, actor=manager)
    assert Ask.objects.count() == 6


def test_campaign_response_updates_budget_prediction_and_profile():
    manager = StaffFactory()
    c = AdvocateFactory()
    campaign = services.campaign_send(
        name="Speakers", ask_type="speaking.slot", size=1, actor=manager
    )
    pred = Prediction.objects.get(campaign=campaign)
    services.campaign_respond(prediction=pred, outcome="declined", actor=manager)
    assert Ask.objects.get(pk=pred.ask_id).status == "declined"
    assert Profile.objects.get(contact=c).declined == 1
    assert Observation.objects.get(contact=c).ask_type == "speaking.slot"


def test_campaign_for_an_event_uses_the_programs_invitation():
    from ovation.programs.models import Event, Invitation

    manager = StaffFactory()
    c = AdvocateFactory()
    start = timezone.now() + timedelta(days=20)
    event = Event.objects.create(
        title="User conference",
        kind="conference",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
    )
    campaign = services.campaign_send(
        name="Conference",
        ask_type="",
        target_type="event",
        target_id=event.pk,
        size=5,
        actor=manager,
    )
    inv = Invitation.objects.get(event=event, contact=c)
    assert campaign.invited_count == 1
    assert Prediction.objects.get(campaign=campaign).ask_id == inv.ask_id
    assert Ask.objects.filter(contact=c).count() == 1  # one ask, recorded by programs


def test_acceptance_by_motivator_and_type():
    c = AdvocateFactory()
    past_asks(c, kind="feedback", outcome="accepted", n=3)
    past_asks(c, kind="feedback", outcome="declined", n=1)
    services.profile_refresh(contact=c)
    rows = selectors.acceptance_by_motivator_and_type()
    assert rows == [
        {
            "motivator": "say",
            "motivator_label": "Having a say",
            "ask_type": "challenge.feedback",
            "ask_type_label": "Product feedback / survey",
            "asked": 4,
            "accepted": 3,
            "rate": 0.75,
        },
        {
            "motivator": "problem_solving",
            "motivator_label": "Problem-solving",
            "ask_type": "challenge.feedback",
            "ask_type_label": "Product feedback / survey",
            "asked": 4,
            "accepted": 3,
            "rate": 0.75,
        },
    ]


def test_ask_type_update_validates_every_row_and_changes_nothing_on_error():
    from ovation.core.errors import ServiceError

    good = {"value": 4, "fatigue_cost": 0.2, "uses_budget": True, "is_active": True,
            "motivators": {"say": 1}}  # fmt: skip
    bad = {**good, "motivators": {"say": 1.5}}
    with pytest.raises(ServiceError, match="challenge.quiz: say: must be between 0 and 1"):
        services.ask_types_update(rows={"challenge.feedback": good, "challenge.quiz": bad})
    from ovation.motivation.models import AskType

    assert AskType.objects.get(key="challenge.feedback").value == 3
    services.ask_types_update(rows={"challenge.feedback": good})
    t = AskType.objects.get(key="challenge.feedback")
    assert (t.value, t.motivators) == (4, {"say": 1.0})


def test_campaign_model_targets():
    assert Campaign.Target.values == ["ask_type", "challenge", "event", "program"]


def test_explanation_is_honest_when_exploring_an_ask_they_declined():
    from ovation.motivation.recommend import explain, recommend

    c = AdvocateFactory()
    past_asks(c, kind="speaking", outcome="declined", n=2)
    ChallengeFactory(kind=Challenge.Kind.SPEAKING, points=300, effort_minutes=240)
    services.profile_refresh(contact=c)
    rs = recommend(c, seed=1)
    rec = rs.recommended[0]
    assert rec.explanation == (
        "Worth another look? You said no to 2 speaking slot asks before · 300 points · half a day"
    )
    assert explain(rec, rs.state, services.ask_types_map(), you=False).startswith(
        "Worth trying again: they said no to 2 speaking slot asks before"
    )
