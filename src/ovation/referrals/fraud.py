"""Fraud checks on a new referral. Each rule is a named function returning a `Finding` (or
None) with a reason for the manager and plain words for the referrer. A `block` finding means
the referral does not count; a `flag` means it waits for a manager's review and no reward is
paid until it is approved.

Blocked: self-referral, disposable email, a person someone else already referred.
Flagged: same company domain as the referrer, the referrer's own network, velocity.
Policy (program setting): a person already a contact, or whose company is already a customer
or prospect, is blocked (default), flagged, or credited."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.db.models import Q

from ovation.directory.models import Account, Contact

from .models import AdvocateNetwork, Referral, ReferralProgram
from .tracking import FREE_MAIL_DOMAINS, email_domain, email_normalize

BLOCK = "block"
FLAG = "flag"
CUSTOMER_STATUSES = (Account.Status.ONBOARDING, Account.Status.ACTIVE, Account.Status.AT_RISK)

RULE_LABELS = {
    "self_referral": "Self-referral",
    "disposable_email": "Disposable email",
    "duplicate_referral": "Already referred",
    "existing_contact": "Already a contact",
    "existing_account": "Company already known",
    "same_company_domain": "Same company domain",
    "same_network": "Referrer's own network",
    "velocity": "Too many leads too fast",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    reason: str
    advocate_reason: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """What the rules look at: the new lead and who referred it."""

    program: ReferralProgram
    referrer: Contact
    link_id: int | None
    email: str
    ip_hash: str
    now: datetime

    @property
    def email_normalized(self) -> str:
        return email_normalize(self.email)

    @property
    def domain(self) -> str:
        return email_domain(self.email_normalized)


def rule_self_referral(c: Candidate) -> Finding | None:
    if c.email_normalized == email_normalize(c.referrer.email):
        return Finding(
            "self_referral",
            BLOCK,
            f"the friend's email {c.email} is the referrer's own address ({c.referrer.email})",
            "You can't refer yourself.",
        )
    return None


def rule_disposable_email(c: Candidate) -> Finding | None:
    if c.domain in DISPOSABLE_DOMAINS:
        return Finding(
            "disposable_email",
            BLOCK,
            f"{c.domain} is a disposable email domain",
            "The email address given was a throwaway address, so we can't follow up.",
        )
    return None


def rule_duplicate_referral(c: Candidate) -> Finding | None:
    first = (
        Referral.objects.filter(email_normalized=c.email_normalized, counts=True)
        .select_related("referrer")
        .first()
    )
    if first is not None:
        return Finding(
            "duplicate_referral",
            BLOCK,
            f"already referred by {first.referrer.full_name or first.referrer.email} on "
            f"{first.created_at:%Y-%m-%d} (referral #{first.pk}); the first valid referral wins",
            "Someone else referred this person first.",
        )
    return None


def _policy_finding(c: Candidate, rule: str, reason: str, advocate_reason: str):
    policy = c.program.pipeline_policy
    if policy == ReferralProgram.PipelinePolicy.CREDIT:
        return None
    severity = BLOCK if policy == ReferralProgram.PipelinePolicy.NO_CREDIT else FLAG
    return Finding(rule, severity, reason, advocate_reason)


def rule_existing_contact(c: Candidate) -> Finding | None:
    contact = Contact.objects.filter(
        Q(email__iexact=c.email.strip()) | Q(email__iexact=c.email_normalized)
    ).first()
    if contact is not None:
        return _policy_finding(
            c,
            "existing_contact",
            f"{c.email} is already contact #{contact.pk} in the directory",
            "This person is already in touch with us.",
        )
    return None


def _referrer_domains(c: Candidate) -> set[str]:
    domains = {email_domain(email_normalize(c.referrer.email))}
    account = c.referrer.account
    if account is not None and account.domain:
        domains.add(account.domain.strip().lower())
    return domains - FREE_MAIL_DOMAINS - {""}


def rule_existing_account(c: Candidate) -> Finding | None:
    if not c.domain or c.domain in FREE_MAIL_DOMAINS or c.domain in _referrer_domains(c):
        return None
    account = (
        Account.objects.filter(domain__iexact=c.domain)
        .exclude(status=Account.Status.CHURNED)
        .first()
    )
    if account is None:
        return None
    if account.status in CUSTOMER_STATUSES:
        reason, words = f"{account.name} ({c.domain}) is already a customer", "customer"
    else:
        reason, words = f"{account.name} ({c.domain}) is already in the sales pipeline", "pipeline"
    return _policy_finding(
        c,
        "existing_account",
        reason,
        "Their company is already a customer."
        if words == "customer"
        else "Their company was already talking to our sales team.",
    )


def rule_same_company_domain(c: Candidate) -> Finding | None:
    if c.domain and c.domain in _referrer_domains(c):
        return Finding(
            "same_company_domain",
            FLAG,
            f"{c.domain} is the referrer's own company domain",
            "We're checking this one because your friend works at your company.",
        )
    return None


def rule_same_network(c: Candidate) -> Finding | None:
    if c.ip_hash and (
        AdvocateNetwork.objects.filter(contact=c.referrer, ip_hash=c.ip_hash).exists()
    ):
        return Finding(
            "same_network",
            FLAG,
            "submitted from a network the referrer used in the hub (same IP hash)",
            "We're checking this one because it was sent from your own network.",
        )
    return None


def rule_velocity(c: Candidate) -> Finding | None:
    if c.link_id is None:
        return None
    recent = Referral.objects.filter(link_id=c.link_id)
    hour = recent.filter(created_at__gte=c.now - timedelta(hours=1)).count()
    if hour >= c.program.velocity_per_hour:
        return Finding(
            "velocity",
            FLAG,
            f"{hour + 1} leads on this link within an hour (limit {c.program.velocity_per_hour})",
            "We're checking this one because many referrals arrived at once.",
        )
    day = recent.filter(created_at__gte=c.now - timedelta(days=1)).count()
    if day >= c.program.velocity_per_day:
        return Finding(
            "velocity",
            FLAG,
            f"{day + 1} leads on this link within a day (limit {c.program.velocity_per_day})",
            "We're checking this one because many referrals arrived at once.",
        )
    return None


RULES = (
    rule_self_referral,
    rule_disposable_email,
    rule_duplicate_referral,
    rule_existing_contact,
    rule_existing_account,
    rule_same_company_domain,
    rule_same_network,
    rule_velocity,
)


def evaluate(candidate: Candidate) -> list[Finding]:
    """Run every rule; the blocking findings come first."""
    findings = [f for rule in RULES if (f := rule(candidate)) is not None]
    return sorted(findings, key=lambda f: f.severity != BLOCK)
