"""Where profiles learn from: every response of a contact to an ask, in any module, as
`Observation` rows (one per source row, keyed so rebuilding is idempotent).

Sources, read-only:
- the shared ask budget (`references.Ask`: reference requests, program invitations, campaign
  asks, asks logged by hand) -- accepted / completed / declined as recorded, and an ask still
  unanswered after `IGNORE_AFTER_DAYS` counts as ignored;
- hub submissions (the advocate took a challenge: accepted; approved: completed);
- RSVPs without an invitation (yes: accepted, attended: completed, no: declined);
- program applications (accepted);
- "not for me" in the hub (a declined motivation prediction without an ask).
Self-initiated actions (submissions, open RSVPs, applications) teach each profile but are
left out of the population fit, which has no denominator for them.
An invitation's ask is upgraded to completed when the RSVP shows attendance or the challenge
has an approved submission, and that submission/RSVP is then not counted a second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ovation.hub.models import Challenge, Submission
from ovation.programs.models import Event, Membership, Program, Rsvp
from ovation.references.budget import Ask
from ovation.references.models import REFERENCE_ACTIVITY_TYPES

from .defaults import ASK_TYPES
from .models import Campaign, Prediction

IGNORE_AFTER_DAYS = 14

# An ask without a known object: its budget activity type decides its ask type.
ACTIVITY_ASK_TYPE = {
    **{a: f"reference.{a}" for a in REFERENCE_ACTIVITY_TYPES},
    "speaking": "speaking.slot",
    "review": "challenge.review",
    "challenge": "challenge.custom",
    "program": "program.custom",
}


@dataclass(frozen=True)
class Obs:
    contact_id: int
    ask_type: str
    outcome: str
    occurred_at: datetime
    source_key: str
    label: str = ""
    target_type: str = ""
    target_id: int = 0

    @property
    def solicited(self) -> bool:
        """An answer to an ask (a yes or a no was possible), as opposed to something the
        advocate did on their own (a hub submission, an RSVP to an open event, an
        application): only solicited answers measure the population's acceptance rate."""
        return self.source_key.startswith(("ask:", "prediction:"))


def _ids(qs, contact_ids):
    return qs if contact_ids is None else qs.filter(contact_id__in=list(contact_ids))


def collect(contact_ids: Iterable[int] | None = None, *, now: datetime | None = None) -> list[Obs]:
    """All observations of the given contacts (None = everyone), oldest first. A fixed
    number of queries whatever the number of contacts."""
    now = now or timezone.now()
    ignore_before = now - timedelta(days=IGNORE_AFTER_DAYS)
    asks = list(
        _ids(Ask.objects.all(), contact_ids)
        .exclude(status=Ask.Status.ASKED, asked_at__gte=ignore_before)
        .values_list(
            "pk",
            "contact_id",
            "activity_type",
            "status",
            "asked_at",
            "responded_at",
            "source_type",
            "source_id",
            "note",
        )
    )

    def ids_of(source_type):
        return {int(a[7]) for a in asks if a[6] == source_type and str(a[7]).isdigit()}

    challenge_kind = dict(
        Challenge.objects.filter(pk__in=ids_of("challenge")).values_list("pk", "kind")
    )
    event_kind = dict(Event.objects.filter(pk__in=ids_of("event")).values_list("pk", "kind"))
    program_kind = dict(Program.objects.filter(pk__in=ids_of("program")).values_list("pk", "kind"))
    campaign_type = dict(
        Campaign.objects.filter(pk__in=ids_of("campaign")).values_list("pk", "ask_type")
    )

    approved = {
        (c, ch)
        for c, ch in _ids(Submission.objects.all(), contact_ids)
        .filter(status=Submission.Status.APPROVED)
        .values_list("contact_id", "challenge_id")
    }
    attended = {
        (c, e)
        for c, e in _ids(Rsvp.objects.all(), contact_ids)
        .filter(attended=True)
        .values_list("contact_id", "event_id")
    }

    out: list[Obs] = []
    asked_challenges: set[tuple[int, int]] = set()
    asked_events: set[tuple[int, int]] = set()
    for pk, cid, activity, status, asked_at, responded_at, stype, sid, note in asks:
        sid_int = int(sid) if str(sid).isdigit() else None
        ask_type = None
        target = ("", 0)
        if stype == "challenge" and sid_int in challenge_kind:
            ask_type = f"challenge.{challenge_kind[sid_int]}"
            asked_challenges.add((cid, sid_int))
            target = ("challenge", sid_int)
            if (cid, sid_int) in approved and status != Ask.Status.DECLINED:
                status = Ask.Status.COMPLETED
        elif stype == "event" and sid_int in event_kind:
            ask_type = f"event.{event_kind[sid_int]}"
            asked_events.add((cid, sid_int))
            target = ("event", sid_int)
            if (cid, sid_int) in attended:
                status = Ask.Status.COMPLETED
        elif stype == "program" and sid_int in program_kind:
            ask_type = f"program.{program_kind[sid_int]}"
            target = ("program", sid_int)
        elif stype == "reference_request" and sid_int:
            target = ("reference_request", sid_int)
        elif stype == "campaign" and sid_int in campaign_type:
            ask_type = campaign_type[sid_int]
            target = ("ask_type", 0)
        ask_type = ask_type or ACTIVITY_ASK_TYPE.get(activity)
        if ask_type is None:
            continue
        outcome = Ask.Status.IGNORED if status == Ask.Status.ASKED else status
        when = responded_at or asked_at
        label = (note or "")[:200] or ASK_TYPES.get(ask_type, (ask_type,))[0]
        out.append(Obs(cid, ask_type, outcome, when, f"ask:{pk}", label, *target))

    for pk, cid, ch_id, status, created, kind, title in (
        _ids(Submission.objects.all(), contact_ids)
        .exclude(challenge__kind="")
        .values_list(
            "pk",
            "contact_id",
            "challenge_id",
            "status",
            "created_at",
            "challenge__kind",
            "challenge__title",
        )
    ):
        if (cid, ch_id) in asked_challenges:
            continue
        outcome = "completed" if status == Submission.Status.APPROVED else "accepted"
        out.append(
            Obs(
                cid, f"challenge.{kind}", outcome, created, f"submission:{pk}", title,
                "challenge", ch_id,
            )
        )  # fmt: skip

    for pk, cid, ev_id, response, responded, att, kind, title in (
        _ids(Rsvp.objects.all(), contact_ids)
        .exclude(response=Rsvp.Response.MAYBE)
        .values_list(
            "pk",
            "contact_id",
            "event_id",
            "response",
            "responded_at",
            "attended",
            "event__kind",
            "event__title",
        )
    ):
        if (cid, ev_id) in asked_events:
            continue
        if response == Rsvp.Response.YES:
            outcome = "completed" if att else "accepted"
        else:
            outcome = "declined"
        out.append(
            Obs(cid, f"event.{kind}", outcome, responded, f"rsvp:{pk}", title, "event", ev_id)
        )

    for pk, cid, status, requested, prog_id, kind, name in (
        _ids(Membership.objects.all(), contact_ids)
        .exclude(status__in=[Membership.Status.NOMINATED])
        .values_list(
            "pk", "contact_id", "status", "requested_at", "program_id", "program__kind",
            "program__name",
        )
    ):  # fmt: skip
        if status == Membership.Status.DECLINED:
            continue  # the manager declined them: says nothing about their motivation
        out.append(
            Obs(
                cid, f"program.{kind}", "accepted", requested, f"membership:{pk}", name,
                "program", prog_id,
            )
        )  # fmt: skip

    for pk, cid, ask_type, responded, label, ttype, tid in (
        _ids(Prediction.objects.all(), contact_ids)
        .filter(
            outcome=Prediction.Outcome.DECLINED,
            ask_id__isnull=True,
            context__in=[Prediction.Context.HUB, Prediction.Context.STAFF],
        )
        .values_list(
            "pk", "contact_id", "ask_type", "responded_at", "target_label", "target_type",
            "target_id",
        )
    ):  # fmt: skip
        out.append(
            Obs(cid, ask_type, "declined", responded or now, f"prediction:{pk}", label, ttype, tid)
        )

    out.sort(key=lambda o: (o.occurred_at, o.source_key))
    return out
