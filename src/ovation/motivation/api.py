"""Motivation API: a contact's motivator profile, their next best asks (with explanations and
what the shared budget excludes), and real acceptance by motivator x ask type. Read-only;
the same selectors as the staff pages."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from ovation.core.api import ApiError, Problem, require_perm
from ovation.directory.models import Contact

from . import selectors

router = Router(tags=["motivation"])
VIEW = "ovation.view_directory"
ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 422: Problem}


class MotivatorOut(Schema):
    key: str
    label: str
    chance: float
    low: float
    high: float
    population: float


class EvidenceOut(Schema):
    ask_type: str
    label: str
    accepted: int
    declined: int
    ignored: int


class ProfileOut(Schema):
    contact_id: int
    prior_source: str
    observations: int
    summary: str
    motivators: list[MotivatorOut]
    evidence: list[EvidenceOut]


class AskOut(Schema):
    ask_type: str
    ask_type_label: str
    target_type: str
    target_id: int
    title: str
    probability: float
    score: float
    explanation: str


class ExcludedOut(Schema):
    ask_type: str
    title: str
    rule: str
    reason: str


class NextBestOut(Schema):
    contact_id: int
    asks: list[AskOut]
    excluded: list[ExcludedOut]


class AcceptanceRow(Schema):
    motivator: str
    motivator_label: str
    ask_type: str
    ask_type_label: str
    asked: int
    accepted: int
    rate: float


def _contact(contact_id: int) -> Contact:
    contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise ApiError(404, "no such contact", field="contact_id")
    return contact


@router.get(
    "/motivation/contacts/{contact_id}/profile",
    response={200: ProfileOut, **ERRORS},
    summary="A contact's motivator profile",
)
def profile(request: HttpRequest, contact_id: int):
    require_perm(request, VIEW)
    from .model import MOTIVATORS

    view = selectors.profile_view(contact=_contact(contact_id))
    c = view.chart
    return {
        "contact_id": contact_id,
        "prior_source": view.profile.prior_source if view.profile else "population",
        "observations": view.profile.observations if view.profile else 0,
        "summary": view.summary,
        "motivators": [
            {
                "key": key,
                "label": c["labels"][i],
                "chance": c["mean"][i] / 100,
                "low": c["low"][i] / 100,
                "high": c["high"][i] / 100,
                "population": c["population"][i] / 100,
            }
            for i, key in enumerate(MOTIVATORS)
        ],
        "evidence": view.evidence,
    }


@router.get(
    "/motivation/contacts/{contact_id}/next-best-asks",
    response={200: NextBestOut, **ERRORS},
    summary="The next best asks for a contact, within the shared ask budget",
)
def next_best(request: HttpRequest, contact_id: int, limit: int = 3):
    require_perm(request, VIEW)
    if not 1 <= limit <= 20:
        raise ApiError(422, "limit must be between 1 and 20", field="limit")
    nb = selectors.next_best_asks(contact=_contact(contact_id), limit=limit)
    return {
        "contact_id": contact_id,
        "asks": [
            {
                "ask_type": r.ask_type.key,
                "ask_type_label": r.ask_type.label,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "title": r.title,
                "probability": round(r.probability, 4),
                "score": round(r.score, 4),
                "explanation": r.explanation,
            }
            for r in nb.asks
        ],
        "excluded": [
            {
                "ask_type": r.ask_type.key,
                "title": r.title,
                "rule": r.blocked_rule,
                "reason": r.blocked,
            }
            for r in nb.excluded
        ],
    }


@router.get(
    "/motivation/acceptance",
    response={200: list[AcceptanceRow], **ERRORS},
    summary="Real acceptance by motivator x ask type",
)
def acceptance(request: HttpRequest):
    require_perm(request, VIEW)
    return selectors.acceptance_by_motivator_and_type()
