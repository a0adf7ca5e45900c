"""Who may join a program, with the reasons in words an advocate understands (pure functions
over already-loaded objects: no queries beyond the program's prefetched industries/regions)."""

from dataclasses import dataclass, field

from ovation.directory.models import Account, Contact

STAGE_LABELS = dict(Contact.Stage.choices)
BAND_LABELS = dict(Account.EmployeeBand.choices)


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reasons: list[str] = field(default_factory=list)  # why not, one per failed rule
    rules: list[str] = field(default_factory=list)  # what the program asks for, in words

    @property
    def summary(self) -> str:
        if self.allowed:
            return "You qualify" + (f": {'; '.join(self.rules)}." if self.rules else ".")
        return "Not yet: " + "; ".join(self.reasons) + "."


def _names(items) -> str:
    names = [str(i) for i in items]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def program_rules(program) -> list[str]:
    rules = []
    if program.eligible_stages:
        rules.append(
            "open to "
            + _names(STAGE_LABELS.get(s, s).lower() + "s" for s in program.eligible_stages)
        )
    industries = list(program.eligible_industries.all())
    if industries:
        rules.append("in " + _names(i.name for i in industries))
    regions = list(program.eligible_regions.all())
    if regions:
        rules.append("based in " + _names(r.name for r in regions))
    if program.eligible_employee_bands:
        rules.append(
            "at companies of "
            + _names(BAND_LABELS.get(b, b) for b in program.eligible_employee_bands)
            + " employees"
        )
    return rules


def eligibility_check(program, contact: Contact) -> Eligibility:
    """Does `contact` meet the program's rules? Empty rules mean anyone."""
    reasons = []
    account = contact.account
    if program.eligible_stages and contact.stage not in program.eligible_stages:
        wanted = _names(STAGE_LABELS.get(s, s).lower() + "s" for s in program.eligible_stages)
        reasons.append(
            f"it is open to {wanted}; you are a {STAGE_LABELS.get(contact.stage, contact.stage).lower()}"
        )
    industries = list(program.eligible_industries.all())
    if industries and (account is None or account.industry_id not in {i.pk for i in industries}):
        reasons.append(f"it is for companies in {_names(i.name for i in industries)}")
    regions = list(program.eligible_regions.all())
    if regions and (account is None or account.region_id not in {r.pk for r in regions}):
        reasons.append(f"it is for customers based in {_names(r.name for r in regions)}")
    if program.eligible_employee_bands and (
        account is None or account.employee_band not in program.eligible_employee_bands
    ):
        bands = _names(BAND_LABELS.get(b, b) for b in program.eligible_employee_bands)
        reasons.append(f"it is for companies of {bands} employees")
    return Eligibility(allowed=not reasons, reasons=reasons, rules=program_rules(program))
