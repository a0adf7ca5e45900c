"""Levels, badges, celebrations, leaderboards, profile (motivations, consents, preferences)
and "download my data"."""

import json

import pytest
from django.db import IntegrityError
from django.urls import reverse

from ovation.activity.services import activity_record
from ovation.core.errors import ServiceError
from ovation.directory.models import Consent
from ovation.directory.services import consent_record
from ovation.hub import selectors, services
from ovation.hub.models import Badge, BadgeAward, Challenge, HubProfile, Level
from ovation.ledger.services import ledger_credit, ledger_debit

from .factories import AdvocateFactory, ChallengeFactory, QuestionFactory


@pytest.mark.django_db
def test_level_follows_lifetime_points_not_spendable(advocate, defaults):
    ledger_credit(contact=advocate, points=800, idempotency_key="t:1")
    ledger_debit(contact=advocate, points=700, idempotency_key="t:2")
    assert selectors.contact_level(contact=advocate).name == "Advocate"  # 750+ lifetime
    progress = selectors.level_progress(spendable=100, lifetime=800)
    assert (progress.level.name, progress.next_level.name, progress.points_to_next) == (
        "Advocate",
        "Champion",
        1200,
    )
    assert progress.percent == 4  # 50 of 1250


def test_level_for_points_is_pure():
    levels = [
        Level(name="A", threshold=0),
        Level(name="B", threshold=100),
        Level(name="C", threshold=500),
    ]
    assert [selectors.level_for_points(levels, p).name for p in (0, 99, 100, 499, 500, 10_000)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "C",
    ]


@pytest.mark.django_db
def test_levels_are_editable_and_validated(defaults):
    services.levels_replace(levels=[("Rookie", 0, ""), ("Pro", 300, "nice"), ("Advocate", 900, "")])
    assert list(Level.objects.values_list("name", "threshold")) == [
        ("Rookie", 0),
        ("Pro", 300),
        ("Advocate", 900),
    ]
    with pytest.raises(ServiceError, match="start at 0"):
        services.levels_replace(levels=[("Pro", 10, "")])
    with pytest.raises(ServiceError, match="same threshold"):
        services.levels_replace(levels=[("A", 0, ""), ("B", 0, "")])
    assert Level.objects.count() == 3


@pytest.mark.django_db
def test_levels_edited_through_the_settings_page(manager_client, defaults):
    response = manager_client.post(
        reverse("hub:staff-levels"),
        {
            "section": "levels",
            "name_0": "Starter",
            "threshold_0": "0",
            "name_1": "Hero",
            "threshold_1": "abc",
        },
    )
    assert (
        response.status_code == 200
        and "threshold must be a whole number" in response.content.decode()
    )
    assert Level.objects.count() == 5


@pytest.mark.django_db
def test_first_challenge_badge_is_awarded_once_and_celebrated_once(
    advocate_client, advocate, defaults
):
    challenge = ChallengeFactory(approval_mode="auto", points=300, per_person_limit=3)
    services.submission_create(challenge=challenge, contact=advocate)
    services.submission_create(challenge=challenge, contact=advocate)
    assert list(
        BadgeAward.objects.filter(contact=advocate).values_list("badge__slug", flat=True)
    ) == ["first-steps"]
    home = advocate_client.get(reverse("hub:home")).content.decode()
    assert "New badge: First steps" in home
    assert "You reached Insider!" in home  # 600 lifetime points
    again = advocate_client.get(reverse("hub:home")).content.decode()
    assert "New badge" not in again and "You reached" not in again


@pytest.mark.django_db
def test_badge_award_is_idempotent_and_unique(advocate, manager, defaults):
    badge = Badge.objects.get(slug="community-hero")
    first, created1 = services.badge_award(
        badge=badge, contact=advocate, actor=manager, reason="summit"
    )
    second, created2 = services.badge_award(badge=badge, contact=advocate, actor=manager)
    assert (created1, created2) == (True, False) and first.pk == second.pk
    with pytest.raises(IntegrityError):
        BadgeAward.objects.create(badge=badge, contact=advocate)


@pytest.mark.django_db
def test_rule_badges_from_other_modules_activities(advocate, defaults):
    activity_record(kind="referral.made", contact=advocate, source="referrals")
    for i in range(5):
        activity_record(
            kind="reference.given", contact=advocate, source="references", external_id=f"r{i}"
        )
    activity_record(kind="program.joined", contact=advocate, data={"program_kind": "cab"})
    services.badges_evaluate(contact=advocate)
    assert set(
        BadgeAward.objects.filter(contact=advocate).values_list("badge__slug", flat=True)
    ) == {
        "connector",
        "trusted-voice",
        "insider-council",
    }


@pytest.mark.django_db
def test_quiz_master_after_three_perfect_quizzes(advocate, defaults):
    for _ in range(3):
        q = QuestionFactory(
            challenge=ChallengeFactory(kind=Challenge.Kind.QUIZ, approval_mode="auto", points=10)
        )
        services.submission_create(
            challenge=q.challenge, contact=advocate, answers={str(q.pk): "0"}
        )
    assert BadgeAward.objects.filter(contact=advocate, badge__slug="quiz-master").exists()


@pytest.mark.django_db
def test_manual_award_from_the_settings_page(manager_client, advocate, defaults):
    badge = Badge.objects.get(slug="community-hero")
    manager_client.post(
        reverse("hub:staff-levels"),
        {
            "section": "award",
            "badge": badge.pk,
            "email": advocate.email.upper(),
            "reason": "Keynote",
        },
    )
    award = BadgeAward.objects.get(contact=advocate)
    assert award.badge == badge and award.reason == "Keynote"


@pytest.mark.django_db
def test_leaderboards_respect_opt_out(advocate, defaults):
    shown, anon, hidden = AdvocateFactory(first_name="Shown"), AdvocateFactory(), AdvocateFactory()
    for contact, points in [(shown, 500), (anon, 400), (hidden, 300), (advocate, 100)]:
        ledger_credit(contact=contact, points=points, idempotency_key=f"lb:{contact.pk}")
    HubProfile.objects.filter(contact=anon).update(leaderboard_visibility="anonymous")
    HubProfile.objects.filter(contact=hidden).update(leaderboard_visibility="hidden")
    rows = selectors.leaderboard_all_time(viewer=advocate)
    assert [(r.rank, r.name, r.points, r.is_me) for r in rows] == [
        (1, shown.full_name, 500, False),
        (2, "Anonymous advocate", 400, False),
        (3, advocate.full_name, 100, True),
    ]
    assert rows[1].company == ""
    # The hidden advocate still sees themselves.
    mine = selectors.leaderboard_all_time(viewer=hidden)
    assert [r.name for r in mine] == [
        shown.full_name,
        "Anonymous advocate",
        hidden.full_name,
        advocate.full_name,
    ]
    month = selectors.leaderboard_month(viewer=advocate)
    assert [r.points for r in month] == [500, 400, 100]


@pytest.mark.django_db
def test_month_board_counts_only_this_months_earnings(advocate, defaults):
    from datetime import timedelta

    from ovation.ledger.models import LedgerEntry

    ledger_credit(contact=advocate, points=70, idempotency_key="m:1")
    old, _ = ledger_credit(contact=advocate, points=900, idempotency_key="m:2")
    LedgerEntry.objects.filter(pk=old.pk).update(
        created_at=selectors.month_start() - timedelta(days=2)
    )
    ledger_debit(contact=advocate, points=50, idempotency_key="m:3")
    assert [r.points for r in selectors.leaderboard_month()] == [70]
    assert [r.points for r in selectors.leaderboard_all_time()] == [970]


@pytest.mark.django_db
def test_leaderboard_page_shows_anonymous(advocate_client, advocate, defaults):
    anon = AdvocateFactory(first_name="Secret", last_name="Person")
    ledger_credit(contact=anon, points=100, idempotency_key="x:1")
    HubProfile.objects.filter(contact=anon).update(leaderboard_visibility="anonymous")
    page = advocate_client.get(reverse("hub:leaderboard") + "?board=all").content.decode()
    assert "Anonymous advocate" in page and "Secret Person" not in page


@pytest.mark.django_db
def test_motivations_questionnaire_is_stored_and_readable_by_selector(advocate_client, advocate):
    response = advocate_client.post(
        reverse("hub:profile"),
        {"section": "motivations", "speaking": "4", "writing": "0", "rewards": "2"},
    )
    assert response.status_code == 302
    assert selectors.motivation_answers(contact=advocate) == {
        "speaking": 4,
        "writing": 0,
        "rewards": 2,
    }
    advocate_client.post(reverse("hub:profile"), {"section": "motivations", "speaking": "1"})
    assert selectors.motivation_answers(contact=advocate)["speaking"] == 1
    with pytest.raises(ServiceError):
        services.motivations_save(contact=advocate, ratings={"speaking": 9})


@pytest.mark.django_db
def test_consent_changes_from_the_hub_keep_history_with_source_hub(advocate_client, advocate):
    consent_record(contact=advocate, purpose="case_study", is_granted=True, source="staff")
    advocate_client.post(reverse("hub:profile"), {"section": "consents", "reference_calls": "on"})
    rows = list(
        Consent.objects.filter(contact=advocate)
        .order_by("recorded_at", "id")
        .values_list("purpose", "is_granted", "source")
    )
    assert rows == [
        ("case_study", True, "staff"),
        ("reference_calls", True, "hub"),
        ("case_study", False, "hub"),
    ]
    # Saving again without changes records nothing new.
    advocate_client.post(reverse("hub:profile"), {"section": "consents", "reference_calls": "on"})
    assert Consent.objects.filter(contact=advocate).count() == 3


@pytest.mark.django_db
def test_preferences_saved(advocate_client, advocate):
    advocate_client.post(
        reverse("hub:profile"),
        {
            "section": "prefs",
            "leaderboard_visibility": "anonymous",
            "email_digest": "monthly",
            "notify_on_badge": "on",
        },
    )
    profile = HubProfile.objects.get(contact=advocate)
    assert (
        profile.leaderboard_visibility,
        profile.email_digest,
        profile.notify_on_review,
        profile.notify_on_badge,
    ) == (
        "anonymous",
        "monthly",
        False,
        True,
    )


@pytest.mark.django_db
def test_download_my_data_has_everything(advocate_client, advocate, defaults):
    challenge = ChallengeFactory(approval_mode="auto", points=50, proof_kind="text")
    services.submission_create(challenge=challenge, contact=advocate, proof_text="did it")
    services.motivations_save(contact=advocate, ratings={"events": 3})
    consent_record(contact=advocate, purpose="logo", is_granted=True, source="hub")
    response = advocate_client.get(reverse("hub:data-export"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert set(data) >= {
        "contact",
        "hub_profile",
        "motivations",
        "points",
        "submissions",
        "badges",
        "consents",
        "activities",
    }
    assert data["points"]["spendable"] == 50 and data["points"]["entries"][0]["amount"] == 50
    assert data["submissions"][0]["proof_text"] == "did it"
    assert data["badges"][0]["badge"] == "First steps"
    assert data["motivations"] == {"events": 3}
    assert data["consents_current"] == {"logo": True}
    assert "challenge.completed" in [a["kind"] for a in data["activities"]]


@pytest.mark.django_db
def test_invite_creates_the_advocate_and_emails_a_sign_in_link(
    manager_client, manager, monkeypatch
):
    from django.core import mail
    from django.db import transaction

    from ovation.users.models import User

    from .factories import ContactFactory, StaffFactory

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    contact = ContactFactory(email="Lea@Customer.test", first_name="Lea")
    staff_contact = ContactFactory(email="boss@acme.test")
    StaffFactory(email="boss@acme.test")
    response = manager_client.post(
        reverse("hub:staff-invite"),
        {
            "mode": "single",
            "emails": "lea@customer.test, boss@acme.test, ghost@x.test",
            "message": "We'd love you on board, Lea!",
        },
    )
    page = response.content.decode()
    assert "ghost@x.test: not in the directory" in page
    assert "already belongs to another account" in page
    contact.refresh_from_db()
    assert contact.user.role == User.Role.ADVOCATE
    assert contact.hub_profile.invited_by == manager
    assert [m.to for m in mail.outbox] == [["Lea@Customer.test"]]
    assert "We'd love you on board, Lea!" in mail.outbox[0].body
    assert "/hub/login/?email=Lea%40Customer.test" in mail.outbox[0].body
    staff_contact.refresh_from_db()
    assert staff_contact.user is None


@pytest.mark.django_db
def test_bulk_invite_by_segment_previews_then_invites(manager_client, monkeypatch):
    from django.db import transaction

    from .factories import ContactFactory

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    promoters = [ContactFactory(stage="promoter") for _ in range(3)]
    ContactFactory(stage="customer")
    preview = manager_client.post(
        reverse("hub:staff-invite"), {"mode": "bulk", "stages": ["promoter"], "limit": 2}
    )
    assert "<strong>3</strong> contacts in this segment" in preview.content.decode()
    assert HubProfile.objects.count() == 0
    manager_client.post(
        reverse("hub:staff-invite"),
        {"mode": "bulk", "stages": ["promoter"], "limit": 2, "confirm": "yes"},
    )
    assert HubProfile.objects.filter(contact__in=promoters).count() == 2


@pytest.mark.django_db
def test_a_large_segment_is_invited_by_the_worker_once_even_if_the_task_runs_twice(
    manager_client, monkeypatch, settings
):
    from django.core import mail
    from django.db import transaction

    from ovation.hub import staff_views
    from ovation.hub.tasks import invite_bulk_task

    from .factories import ContactFactory

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    monkeypatch.setattr(staff_views, "INVITE_INLINE_MAX", 3)
    promoters = [ContactFactory(stage="promoter") for _ in range(5)]
    # A queue that keeps the task instead of running it, like a worker that has not run yet.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    response = manager_client.post(
        reverse("hub:staff-invite"),
        {"mode": "bulk", "stages": ["promoter"], "limit": 10, "confirm": "yes"},
        follow=True,
    )
    assert "Inviting 5 advocates in the background" in response.content.decode()
    assert HubProfile.objects.count() == 0 and len(mail.outbox) == 0  # nothing done inline
    (queued,) = default_task_backend.results
    job = queued.kwargs
    assert sorted(job["contact_ids"]) == sorted(c.pk for c in promoters)
    assert invite_bulk_task.func(**job) == {"invited": 5, "skipped": []}
    assert invite_bulk_task.func(**job) == {"invited": 0, "skipped": []}  # a retry sends nothing
    assert HubProfile.objects.filter(contact__in=promoters, invited_at__isnull=False).count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in promoters)


@pytest.mark.django_db(transaction=True)
def test_referral_recorded_by_another_module_awards_the_badge_after_commit():
    hub_defaults_ensure_local()
    advocate = AdvocateFactory()
    activity_record(kind="referral.made", contact=advocate, source="referrals")
    assert list(
        BadgeAward.objects.filter(contact=advocate).values_list("badge__slug", flat=True)
    ) == ["connector"]


def hub_defaults_ensure_local():
    from ovation.hub.services import hub_defaults_ensure

    hub_defaults_ensure()


@pytest.mark.django_db
def test_program_leaderboard_and_audience_use_the_programs_hook(
    advocate_client, advocate, monkeypatch, defaults
):
    from types import SimpleNamespace

    member, outsider = AdvocateFactory(first_name="Member"), AdvocateFactory(first_name="Outsider")
    ledger_credit(contact=member, points=300, idempotency_key="p:1")
    ledger_credit(contact=outsider, points=900, idempotency_key="p:2")
    fake = SimpleNamespace(
        leaderboard_programs=lambda: [(7, "Customer Advisory Board")],
        program_member_contact_ids=lambda program_id: (
            [member.pk, advocate.pk] if program_id == 7 else []
        ),
        program_ids_for_contact=lambda contact: (
            [7] if contact.pk in (member.pk, advocate.pk) else []
        ),
    )
    monkeypatch.setattr(selectors, "_programs_selectors", lambda: fake)
    monkeypatch.setattr(
        selectors,
        "program_ids_for_contact",
        lambda contact: set(fake.program_ids_for_contact(contact)),
    )
    page = advocate_client.get(reverse("hub:leaderboard") + "?board=program-7").content.decode()
    assert "Customer Advisory Board" in page and member.full_name in page and "Outsider" not in page

    cab_only = ChallengeFactory(title="CAB-only ask", audience_program_ids=[7])
    assert [i.challenge.pk for i in selectors.challenge_feed(contact=advocate)] == [cab_only.pk]
    assert selectors.challenge_feed(contact=outsider) == []
