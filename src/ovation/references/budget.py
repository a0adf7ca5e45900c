"""The shared ask budget: one fatigue policy that every module draws from, so an advocate asked
by marketing on Monday is not asked by sales on Tuesday.

API for other modules (import from `ovation.references.budget`)::

    ask_budget_check(*, contact, activity_type, at=None) -> BudgetDecision
        BudgetDecision(allowed: bool, rule: str | None, reason: str). Read-only. `rule` names
        what refuses the ask: "contact.inactive", "quiet.renewal", "quiet.do_not_contact",
        "quiet.detractor_followup", or a fatigue rule "<scope>.<limit>" where scope is
        "overall" or an activity type and limit is one of max_asks_in_window,
        min_days_between, max_per_account_per_quarter, decline_cooldown.

    ask_record(*, contact, activity_type, channel, source_type="", source_id="", actor=None,
               logged_outside=False, note="", at=None) -> Ask
        Records an ask. Re-checks the budget inside one transaction while holding the
        account's (else the contact's) row lock -- SQLite IMMEDIATE transactions serialise
        writers, PostgreSQL uses SELECT ... FOR UPDATE -- so concurrent callers can never
        exceed a cap. Raises `BudgetExceeded` (a Conflict, HTTP 409, `.rule` names the rule)
        when over budget. `logged_outside=True` records an ask that already happened outside
        Ovation (a rep's own email): never refused, and it counts for later checks.

    ask_respond(*, ask, status, at=None) -> Ask
        status: accepted / declined / completed / ignored. A decline starts the cooldown.

    why_not_suggested(*, contact, request=None) -> BudgetDecision
        Every eligibility rule in order -- inactive contact, inactive account, consent for the
        activity, quiet periods, fatigue -- and names the first that excludes the contact.

    do_not_contact_set(*, contact, until, reason="", actor=None) -> DoNotContact

activity_type: ovation.references.models.ActivityType values (call, site_visit, email, rfp,
case_study, video, press, challenge, program, speaking, review, other).
channel: Ask.Channel values (reference, challenge, program, motivation, manual).

Quiet periods are part of eligibility: an account renewing within `renewal_quiet_days` (overall
policy), an explicit DoNotContact date, and an open detractor follow-up (read from
Pulse: `ovation.pulse.selectors.followup_open_contact_ids()`).
"""

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Account, Contact

from .fatigue import AskColumns, PolicyRule, evaluate, type_codes
from .models import ActivityType, Ask, DoNotContact, FatiguePolicy

__all__ = [
    "Ask",
    "BudgetDecision",
    "BudgetExceeded",
    "DoNotContact",
    "FatiguePolicy",
    "ask_budget_check",
    "ask_record",
    "ask_respond",
    "do_not_contact_set",
    "why_not_suggested",
]

ASKS_VERSION_KEY = "references:asks-version"
DIRECTORY_VERSION_KEY = "references:directory-version"
RESPONSES = {
    Ask.Status.ACCEPTED,
    Ask.Status.DECLINED,
    Ask.Status.COMPLETED,
    Ask.Status.IGNORED,
    Ask.Status.ASKED,
}


@dataclass(frozen=True)
class BudgetDecision:
    allowed: bool
    rule: str | None
    reason: str


class BudgetExceeded(Conflict):
    """The ask would break a fatigue rule or fall in a quiet period; `rule` names it."""

    def __init__(self, decision: BudgetDecision):
        super().__init__(decision.reason, field="contact_id", code=decision.rule or "budget")
        self.rule = decision.rule
        self.decision = decision


_local_versions: dict[str, int] = {}


def bump_version(key: str) -> None:
    """Invalidate the matching pool's cached columns: in this process at once, and in every
    process (through the shared cache) after commit. A cache outage never fails the write."""
    _local_versions[key] = _local_versions.get(key, 0) + 1

    def shared():
        # e.g. the cache table is missing: the pool's MAX_AGE still applies
        with contextlib.suppress(DatabaseError):
            cache.set(key, uuid.uuid4().hex, None)

    transaction.on_commit(shared)


def local_version(key: str) -> int:
    return _local_versions.get(key, 0)


def epoch_days(when: datetime) -> float:
    return when.timestamp() / 86400.0


def policy_snapshot() -> tuple[list[PolicyRule], FatiguePolicy]:
    """(active rules, overall first; the overall policy row) in one query. The overall row is
    created with its defaults on first use."""
    rows = list(FatiguePolicy.objects.all())
    overall = next((r for r in rows if r.activity_type == ""), None)
    if overall is None:
        overall = FatiguePolicy.objects.get_or_create(activity_type="")[0]
        rows.append(overall)
    active = sorted(
        (r for r in rows if r.is_active), key=lambda r: (r.activity_type != "", r.activity_type)
    )
    rules = [
        PolicyRule(
            scope=r.activity_type,
            window_days=r.window_days,
            max_asks_in_window=r.max_asks_in_window,
            min_days_between=r.min_days_between,
            max_per_account_per_quarter=r.max_per_account_per_quarter,
            decline_cooldown_days=r.decline_cooldown_days,
        )
        for r in active
    ]
    return rules, overall


def policy_rules() -> list[PolicyRule]:
    return policy_snapshot()[0]


def overall_policy() -> FatiguePolicy:
    return policy_snapshot()[1]


def followup_open_contact_ids() -> set[int]:
    """Contacts with an open detractor follow-up (Pulse)."""
    from ovation.pulse.selectors import followup_open_contact_ids as open_followups

    return open_followups()


def quiet_period(
    *, contact: Contact, today: date, policy: FatiguePolicy | None = None
) -> BudgetDecision | None:
    policy = policy or overall_policy()
    account = contact.account
    if policy.is_active and policy.renewal_quiet_days and account and account.renewal_date:
        days = (account.renewal_date - today).days
        if 0 <= days <= policy.renewal_quiet_days:
            return BudgetDecision(
                False,
                "quiet.renewal",
                f"{account.name} renews in {days} days (quiet period: "
                f"{policy.renewal_quiet_days} days before a renewal)",
            )
    dnc = DoNotContact.objects.filter(contact=contact, until__gte=today).order_by("-until").first()
    if dnc:
        reason = f" ({dnc.reason})" if dnc.reason else ""
        return BudgetDecision(
            False, "quiet.do_not_contact", f"do not contact until {dnc.until:%Y-%m-%d}{reason}"
        )
    if policy.respect_detractor_followup and contact.pk in followup_open_contact_ids():
        return BudgetDecision(
            False, "quiet.detractor_followup", "an open detractor follow-up is in progress"
        )
    return None


def _ask_columns_for(contact: Contact, now: datetime) -> AskColumns:
    """The asks that can matter for one contact: its own and its account's in the last year."""
    since = now - timedelta(days=400)
    cond = Q(contact_id=contact.pk)
    if contact.account_id:
        cond |= Q(account_id=contact.account_id)
    rows = list(
        Ask.objects.filter(cond, asked_at__gte=since).values_list(
            "contact_id", "account_id", "asked_at", "activity_type", "status"
        )
    )
    if not rows:
        return AskColumns.empty()
    return AskColumns(
        contact_idx=np.array([0 if r[0] == contact.pk else -1 for r in rows], np.int64),
        account_idx=np.array(
            [0 if (contact.account_id and r[1] == contact.account_id) else -1 for r in rows],
            np.int64,
        ),
        ts=np.array([epoch_days(r[2]) for r in rows], np.float64),
        activity_type=type_codes(r[3] for r in rows),
        declined=np.array([r[4] == Ask.Status.DECLINED for r in rows], bool),
    )


def _validate_type(activity_type: str) -> None:
    if activity_type not in ActivityType.values:
        raise ServiceError(f"unknown activity type {activity_type!r}", field="activity_type")


def ask_budget_check(
    *, contact: Contact, activity_type: str, at: datetime | None = None
) -> BudgetDecision:
    """May `contact` be asked for `activity_type` now (or at `at`)? Read-only."""
    _validate_type(activity_type)
    now = at or timezone.now()
    if not contact.is_active:
        return BudgetDecision(False, "contact.inactive", "the contact is inactive")
    rules, overall = policy_snapshot()
    quiet = quiet_period(contact=contact, today=timezone.localdate(now), policy=overall)
    if quiet:
        return quiet
    result = evaluate(
        rules,
        activity_type=activity_type,
        now=epoch_days(now),
        asks=_ask_columns_for(contact, now),
        n_contacts=1,
        contact_account_idx=np.array([0 if contact.account_id else -1]),
        n_accounts=1,
    )
    if result.blocked_by[0] >= 0:
        return BudgetDecision(False, result.rule(0), result.reason(0))
    return BudgetDecision(True, None, "within budget")


def _lock(contact: Contact) -> None:
    """Serialise writers for one account (else one contact). On SQLite the IMMEDIATE
    transaction already holds the write lock; on PostgreSQL this is a row lock."""
    if contact.account_id:
        list(Account.objects.select_for_update().filter(pk=contact.account_id).values("pk"))
    else:
        list(Contact.objects.select_for_update().filter(pk=contact.pk).values("pk"))


def ask_record(
    *,
    contact: Contact,
    activity_type: str,
    channel: str,
    source_type: str = "",
    source_id: str | int = "",
    actor=None,
    logged_outside: bool = False,
    note: str = "",
    at: datetime | None = None,
    status: str = Ask.Status.ASKED,
) -> Ask:
    """Record an ask within budget (see the module docstring); raises BudgetExceeded."""
    _validate_type(activity_type)
    if channel not in Ask.Channel.values:
        raise ServiceError(f"unknown channel {channel!r}", field="channel")
    if status not in RESPONSES:
        raise ServiceError(f"unknown status {status!r}", field="status")
    if at is not None and at > timezone.now() + timedelta(minutes=5):
        raise ServiceError("an ask cannot be in the future", field="asked_at")
    with transaction.atomic():
        _lock(contact)
        now = at or timezone.now()  # taken under the lock: later writers see this ask
        if not logged_outside:
            decision = ask_budget_check(contact=contact, activity_type=activity_type, at=now)
            if not decision.allowed:
                raise BudgetExceeded(decision)
        ask = Ask.objects.create(
            contact=contact,
            account_id=contact.account_id,
            channel=channel,
            activity_type=activity_type,
            asked_at=now,
            status=status,
            responded_at=now if status != Ask.Status.ASKED else None,
            source_type=source_type,
            source_id=str(source_id or ""),
            logged_outside=logged_outside,
            note=note[:500],
            actor=actor,
        )
        activity_record(
            kind="ask.logged",
            contact=contact,
            occurred_at=now,
            source="references",
            actor=actor,
            data={
                "ask_id": ask.pk,
                "channel": channel,
                "activity_type": activity_type,
                "logged_outside": logged_outside,
            },
            publish=False,
        )
        bump_version(ASKS_VERSION_KEY)
    return ask


def ask_respond(*, ask: Ask, status: str, at: datetime | None = None) -> Ask:
    """Record the contact's response to an ask."""
    if status not in RESPONSES - {Ask.Status.ASKED}:
        raise ServiceError(f"unknown response {status!r}", field="status")
    with transaction.atomic():
        ask.status = status
        ask.responded_at = at or timezone.now()
        ask.save(update_fields=["status", "responded_at"])
        bump_version(ASKS_VERSION_KEY)
    return ask


def do_not_contact_set(
    *, contact: Contact, until: date, reason: str = "", actor=None
) -> DoNotContact:
    """Start a quiet period for a contact until a date (inclusive)."""
    if until < timezone.localdate():
        raise ServiceError("the date is in the past", field="until")
    with transaction.atomic():
        row = DoNotContact.objects.create(
            contact=contact, until=until, reason=reason[:300], actor=actor
        )
        bump_version(DIRECTORY_VERSION_KEY)
    return row


def why_not_suggested(*, contact: Contact, request=None) -> BudgetDecision:
    """Name the first rule that keeps `contact` out of the suggestions for `request` (or for a
    reference call when no request is given). `allowed=True` means the contact is eligible."""
    from ovation.directory.selectors import consent_current

    activity_type = request.activity_type if request is not None else ActivityType.CALL
    if not contact.is_active:
        return BudgetDecision(False, "contact.inactive", "the contact is inactive")
    account = contact.account
    if account is None:
        return BudgetDecision(False, "account.missing", "the contact has no account")
    if account.status != Account.Status.ACTIVE:
        return BudgetDecision(
            False,
            "account.not_active",
            f"{account.name} is not an active customer (status: {account.get_status_display()})",
        )
    purpose = consent_purpose(activity_type)
    current = consent_current(contact=contact).get(purpose)
    if current is None or not current.is_granted:
        state = "was never given" if current is None else "was withdrawn"
        return BudgetDecision(
            False, f"consent.{purpose}", f"consent for {purpose.replace('_', ' ')} {state}"
        )
    decision = ask_budget_check(contact=contact, activity_type=activity_type)
    if not decision.allowed:
        return decision
    return BudgetDecision(True, None, "eligible: the contact passes every rule")


def consent_purpose(activity_type: str) -> str:
    """The consent a reference activity needs."""
    if activity_type in {ActivityType.CASE_STUDY, ActivityType.VIDEO, ActivityType.PRESS}:
        return "case_study"
    return "reference_calls"
