"""Writes of the advocate hub. Every function runs in a transaction, takes keyword-only
arguments and returns what it changed. Points go through `ovation.ledger.services`, the
timeline through `ovation.activity.services`. Split by topic; import from here."""

from ._common import emails_muted, hub_profile_get
from .challenges import (
    challenge_save,
    quiz_score,
    submission_approve,
    submission_create,
    submission_reject,
    submissions_bulk_approve,
)
from .login import (
    INVALID_CODE,
    advocate_user_for_email,
    hub_login_record,
    login_code_verify,
    login_link_consume,
    login_link_peek,
    login_rate_exceeded,
    login_token_request,
)
from .people import (
    advocate_invite,
    advocates_invite_bulk,
    hub_consents_update,
    hub_profile_update,
    motivations_save,
)
from .recognition import (
    badge_award,
    badge_progress_counts,
    badges_evaluate,
    celebrations_take,
    hub_defaults_ensure,
    levels_replace,
)

__all__ = [
    "INVALID_CODE",
    "advocate_invite",
    "advocate_user_for_email",
    "advocates_invite_bulk",
    "badge_award",
    "badge_progress_counts",
    "badges_evaluate",
    "celebrations_take",
    "challenge_save",
    "emails_muted",
    "hub_consents_update",
    "hub_defaults_ensure",
    "hub_login_record",
    "hub_profile_get",
    "hub_profile_update",
    "levels_replace",
    "login_code_verify",
    "login_link_consume",
    "login_link_peek",
    "login_rate_exceeded",
    "login_token_request",
    "motivations_save",
    "quiz_score",
    "submission_approve",
    "submission_create",
    "submission_reject",
    "submissions_bulk_approve",
]
