"""Factories and history helpers for motivation tests (hub factories reused)."""

from datetime import timedelta

from django.utils import timezone

from ovation.hub.models import Challenge
from ovation.hub.tests.factories import (  # noqa: F401
    AccountFactory,
    AdvocateFactory,
    ChallengeFactory,
    ContactFactory,
    StaffFactory,
)
from ovation.references.budget import ask_record


def past_asks(contact, *, kind: str, outcome: str, n: int, days_ago: int = 150, title=None):
    """`n` asks of a (now archived) hub challenge of `kind`, answered with `outcome`, logged
    in the shared budget long enough ago not to weigh on today's budget."""
    challenge = ChallengeFactory(
        kind=kind, title=title or f"Past {kind}", status=Challenge.Status.ARCHIVED
    )
    asks = []
    for i in range(n):
        asks.append(
            ask_record(
                contact=contact,
                activity_type="speaking" if kind == "speaking" else "challenge",
                channel="challenge",
                source_type="challenge",
                source_id=challenge.pk,
                logged_outside=True,
                status=outcome,
                at=timezone.now() - timedelta(days=days_ago + 7 * i),
            )
        )
    return asks
