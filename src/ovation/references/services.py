"""Writes for reference requests: create, pick (or auto-assign), the advocate's answer,
scheduling, completion with thanks and points, outcomes, settings.

Every pick draws from the shared ask budget (`budget.ask_record`), which holds the account's
lock while it re-checks the caps, so two managers assigning the last slot of one contact at the
same time cannot both succeed."""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Account, Contact, Industry, Product, Region
from ovation.ledger.services import ledger_credit

from .budget import ASKS_VERSION_KEY, ask_record, ask_respond, bump_version
from .models import (
    REFERENCE_ACTIVITY_TYPES,
    Ask,
    Assignment,
    FatiguePolicy,
    MatchSettings,
    Opportunity,
    ReferenceRequest,
)

S = ReferenceRequest.Status
A = Assignment.Status


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(f"{field} must be a number", field=field) from exc
    if amount < 0:
        raise ServiceError(f"{field} must not be negative", field=field)
    return amount.quantize(Decimal("0.01"))


def opportunity_upsert(
    *,
    name: str,
    crm_id: str | None = None,
    amount=0,
    stage: str = "",
    close_date: date | None = None,
) -> Opportunity:
    """Find an opportunity by CRM id (else create it) and update its fields."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("the opportunity needs a name", field="opportunity_name")
    fields = {"name": name[:200], "amount": _money(amount, "amount"), "stage": stage[:60]}
    if close_date:
        fields["close_date"] = close_date
    crm_id = (crm_id or "").strip() or None
    if crm_id is None:
        return Opportunity.objects.create(**fields)
    for _ in range(2):
        opp = Opportunity.objects.filter(crm_id=crm_id).first()
        try:
            with transaction.atomic():
                if opp is None:
                    return Opportunity.objects.create(crm_id=crm_id, **fields)
                changed = [k for k, v in fields.items() if getattr(opp, k) != v]
                for k in changed:
                    setattr(opp, k, fields[k])
                if changed:
                    opp.save(update_fields=[*changed, "updated_at"])
                return opp
        except IntegrityError:
            continue
    raise Conflict("the opportunity was changed concurrently; try again", field="crm_id")


def request_create(
    *,
    requester,
    opportunity_name: str,
    activity_type: str,
    opportunity_crm_id: str = "",
    amount=0,
    opportunity_stage: str = "",
    close_date: date | None = None,
    prospect_name: str = "",
    industry: Industry | None = None,
    region: Region | None = None,
    country: str = "",
    employee_band: str = "",
    products: list[Product] | None = None,
    competitor: str = "",
    use_case: str = "",
    seniority: str = "",
    needed_by: date | None = None,
    number_wanted: int = 1,
    duration_minutes: int = 30,
    notes: str = "",
) -> ReferenceRequest:
    """File a reference request; with auto-assign on, confident matches are invited at once."""
    if activity_type not in REFERENCE_ACTIVITY_TYPES:
        raise ServiceError(f"unknown activity type {activity_type!r}", field="activity_type")
    if not 1 <= int(number_wanted) <= 10:
        raise ServiceError("ask for between 1 and 10 references", field="number_wanted")
    if needed_by and needed_by < timezone.localdate():
        raise ServiceError("the needed-by date is in the past", field="needed_by")
    if employee_band and employee_band not in Account.EmployeeBand.values:
        raise ServiceError(f"unknown employee band {employee_band!r}", field="employee_band")
    if seniority and seniority not in Contact.Seniority.values:
        raise ServiceError(f"unknown seniority {seniority!r}", field="seniority")
    country = (country or "").strip().upper()
    if country and len(country) != 2:
        raise ServiceError("use a two-letter country code (ISO 3166)", field="country")
    now = timezone.now()
    conf = MatchSettings.current()
    with transaction.atomic():
        opp = opportunity_upsert(
            name=opportunity_name,
            crm_id=opportunity_crm_id,
            amount=amount,
            stage=opportunity_stage,
            close_date=close_date,
        )
        req = ReferenceRequest.objects.create(
            requester=requester,
            opportunity=opp,
            prospect_name=prospect_name[:200],
            industry=industry,
            region=region,
            country=country,
            employee_band=employee_band,
            competitor=competitor[:200],
            use_case=use_case,
            seniority=seniority,
            activity_type=activity_type,
            needed_by=needed_by,
            number_wanted=int(number_wanted),
            duration_minutes=int(duration_minutes or 30),
            notes=notes,
            submitted_at=now,
            review_due_at=now + timedelta(hours=conf.sla_review_hours),
        )
        if products:
            req.products.set(products)
        event_publish(
            type="reference.requested",
            data={"request_id": req.pk, "opportunity": opp.name, "activity_type": activity_type},
        )
    if conf.auto_assign:
        request_auto_assign(request=req)
    return req


def request_auto_assign(*, request: ReferenceRequest) -> list[Assignment]:
    """Invite the top matches whose score reaches the auto-assign threshold."""
    from .pool import match

    conf = MatchSettings.current()
    result = match(request, limit=request.number_wanted, near_miss_limit=0, with_contacts=False)
    picked = []
    for cand in result.candidates:
        if cand.score < conf.auto_assign_min_score * 100:
            break
        contact = Contact.objects.select_related("account").get(pk=cand.contact_id)
        try:
            picked.append(
                request_pick(
                    request=request,
                    contact=contact,
                    actor=None,
                    score=cand.score,
                    explanation=cand.explanation,
                    auto=True,
                )
            )
        except Conflict:
            continue
    return picked


def request_pick(
    *,
    request: ReferenceRequest,
    contact: Contact,
    actor,
    score: float = 0.0,
    explanation: str = "",
    auto: bool = False,
) -> Assignment:
    """Invite `contact` for `request`; draws one ask from the shared budget (BudgetExceeded
    when the contact or its account is out of budget; nothing is written then)."""
    if not request.is_open or request.status == S.COMPLETED:
        raise Conflict(f"the request is {request.get_status_display().lower()}", field="request")
    now = timezone.now()
    with transaction.atomic():
        ask = ask_record(
            contact=contact,
            activity_type=request.activity_type,
            channel=Ask.Channel.REFERENCE,
            source_type="reference_request",
            source_id=request.pk,
            actor=actor,
            at=now,
        )
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    request=request,
                    contact=contact,
                    ask=ask,
                    score=score,
                    explanation=explanation[:500],
                    picked_by=actor,
                    auto_assigned=auto,
                    invited_at=now,
                )
        except IntegrityError as exc:
            raise Conflict(f"{contact} is already on this request", field="contact_id") from exc
        _refresh_status(request)
        event_publish(
            type="reference.invited",
            contact=contact,
            data={"request_id": request.pk, "assignment_id": assignment.pk},
        )
        _after_commit("invite_send", assignment.pk)
    return assignment


def _after_commit(task_name: str, *args) -> None:
    """Emails go out from a task, enqueued only once the transaction committed."""

    def enqueue():
        from . import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(enqueue)


def _hub_url() -> str:
    try:
        return settings.OVATION_BASE_URL + reverse("references:hub-requests")
    except Exception:  # noqa: BLE001 - the URL is cosmetic in the email
        return settings.OVATION_BASE_URL + "/hub/"


def invite_send(assignment_id: int) -> None:
    a = Assignment.objects.select_related("request__opportunity", "contact__account").get(
        pk=assignment_id
    )
    r = a.request
    when = f"by {r.needed_by:%d %B %Y}" if r.needed_by else "in the coming weeks"
    send_mail(
        subject=f"Could you help a peer? A {r.activity_label.lower()} request",
        message=(
            f"Hi {a.contact.first_name or 'there'},\n\n"
            f"A company {_prospect_phrase(r)} is evaluating us and would value hearing from you.\n"
            f"What: {r.activity_label} (about {r.duration_minutes} minutes)\n"
            f"When: {when}\n"
            f"Topic: {r.use_case[:300] or 'your experience with our products'}\n\n"
            f"Accept (and pick times) or decline here: {_hub_url()}\n\n"
            "No pressure: declining is fine and we will not ask again for a while.\n"
        ),
        from_email=None,
        recipient_list=[a.contact.email],
        fail_silently=True,
    )


def _prospect_phrase(r: ReferenceRequest) -> str:
    bits = []
    if r.industry_id:
        bits.append(f"in {r.industry.name}")
    if r.region_id:
        bits.append(f"({r.region.name})")
    return " ".join(bits) or "like yours"


def _refresh_status(request: ReferenceRequest) -> None:
    """The request's status follows its most advanced assignment."""
    if request.status in {S.CLOSED, S.CANCELLED}:
        return
    statuses = set(request.assignments.values_list("status", flat=True))
    if A.COMPLETED in statuses:
        new = S.COMPLETED
    elif A.SCHEDULED in statuses:
        new = S.SCHEDULED
    elif A.ACCEPTED in statuses:
        new = S.ACCEPTED
    elif A.INVITED in statuses:
        new = S.INVITED
    else:
        new = S.SUBMITTED
    fields = []
    if new != request.status:
        request.status = new
        fields.append("status")
    if new == S.COMPLETED and request.fulfilled_at is None:
        request.fulfilled_at = timezone.now()
        fields.append("fulfilled_at")
    if fields:
        request.save(update_fields=[*fields, "updated_at"])


def _locked(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("request", "ask")
        .get(pk=assignment.pk)
    )


def assignment_accept(*, assignment: Assignment, slots: list[datetime]) -> Assignment:
    """The advocate accepts and proposes one to three time slots."""
    slots = [s for s in slots if s]
    if not slots:
        raise ServiceError("pick at least one time slot", field="slots")
    if any(s < timezone.now() for s in slots):
        raise ServiceError("time slots must be in the future", field="slots")
    with transaction.atomic():
        a = _locked(assignment)
        if a.status != A.INVITED:
            raise Conflict(f"this invitation is already {a.get_status_display().lower()}")
        a.status = A.ACCEPTED
        a.responded_at = timezone.now()
        a.proposed_slots = [s.isoformat() for s in sorted(slots)[:3]]
        a.save(update_fields=["status", "responded_at", "proposed_slots", "updated_at"])
        if a.ask:
            ask_respond(ask=a.ask, status=Ask.Status.ACCEPTED)
        _refresh_status(a.request)
        event_publish(type="reference.accepted", contact=a.contact, data={"assignment_id": a.pk})
        _after_commit("requester_notify", a.pk, "accepted")
    return a


def assignment_decline(*, assignment: Assignment, reason: str = "") -> Assignment:
    """The advocate declines; the decline starts the cooldown in the shared budget."""
    with transaction.atomic():
        a = _locked(assignment)
        if a.status != A.INVITED:
            raise Conflict(f"this invitation is already {a.get_status_display().lower()}")
        a.status = A.DECLINED
        a.responded_at = timezone.now()
        a.decline_reason = reason[:500]
        a.save(update_fields=["status", "responded_at", "decline_reason", "updated_at"])
        if a.ask:
            ask_respond(ask=a.ask, status=Ask.Status.DECLINED)
        _refresh_status(a.request)
        event_publish(type="reference.declined", contact=a.contact, data={"assignment_id": a.pk})
        _after_commit("requester_notify", a.pk, "declined")
    return a


def assignment_schedule(*, assignment: Assignment, scheduled_at: datetime, actor) -> Assignment:
    with transaction.atomic():
        a = _locked(assignment)
        if a.status not in {A.ACCEPTED, A.SCHEDULED}:
            raise Conflict("only an accepted invitation can be scheduled", field="scheduled_at")
        a.status = A.SCHEDULED
        a.scheduled_at = scheduled_at
        a.save(update_fields=["status", "scheduled_at", "updated_at"])
        _refresh_status(a.request)
    return a


def assignment_complete(
    *, assignment: Assignment, held: bool, rating: int | None, feedback: str = "", actor=None
) -> Assignment:
    """The sales rep records how it went. Held: completed, `reference.given` activity, a
    thank-you email and points (idempotency key `reference:{id}:completed`)."""
    if held and rating is not None and not 1 <= int(rating) <= 5:
        raise ServiceError("rating must be between 1 and 5", field="rating")
    conf = MatchSettings.current()
    with transaction.atomic():
        a = _locked(assignment)
        if a.status not in {A.ACCEPTED, A.SCHEDULED}:
            raise Conflict(
                f"cannot record an outcome for an invitation that is "
                f"{a.get_status_display().lower()}",
                field="held",
            )
        now = timezone.now()
        a.status = A.COMPLETED if held else A.NOT_HELD
        a.held = held
        a.rating = int(rating) if (held and rating) else None
        a.feedback = feedback
        a.completed_at = now
        a.save(update_fields=["status", "held", "rating", "feedback", "completed_at", "updated_at"])
        if a.ask:
            ask_respond(ask=a.ask, status=Ask.Status.COMPLETED if held else Ask.Status.ACCEPTED)
        _refresh_status(a.request)
        if held:
            contact = a.contact
            activity_record(
                kind="reference.given",
                contact=contact,
                occurred_at=now,
                points=conf.completion_points,
                source="references",
                actor=actor,
                data={
                    "assignment_id": a.pk,
                    "request_id": a.request_id,
                    "activity_type": a.request.activity_type,
                    "rating": a.rating,
                },
                external_id=f"reference:{a.pk}:given",
            )
            if conf.completion_points:
                ledger_credit(
                    contact=contact,
                    points=conf.completion_points,
                    idempotency_key=f"reference:{a.pk}:completed",
                    source_type="reference_assignment",
                    source_id=a.pk,
                    reason=f"Reference: {a.request.get_activity_type_display()}",
                    actor=actor,
                )
            _after_commit("thanks_send", a.pk)
        bump_version(ASKS_VERSION_KEY)
    return a


def thanks_send(assignment_id: int) -> None:
    a = Assignment.objects.select_related("contact", "request").get(pk=assignment_id)
    points = MatchSettings.current().completion_points
    send_mail(
        subject="Thank you for speaking with a peer",
        message=(
            f"Hi {a.contact.first_name or 'there'},\n\nThank you for taking the time for the "
            f"{a.request.activity_label.lower()}. It makes a real difference"
            + (f", and we added {points} points to your account." if points else ".")
            + "\n"
        ),
        from_email=None,
        recipient_list=[a.contact.email],
        fail_silently=True,
    )


def requester_notify(assignment_id: int, what: str) -> None:
    a = Assignment.objects.select_related("contact", "request__requester").get(pk=assignment_id)
    send_mail(
        subject=f"Reference request #{a.request_id}: {a.contact} {what}",
        message=f"{a.contact} {what} your reference request #{a.request_id}.",
        from_email=None,
        recipient_list=[a.request.requester.email],
        fail_silently=True,
    )


def assignment_cancel(*, assignment: Assignment, actor) -> Assignment:
    with transaction.atomic():
        a = _locked(assignment)
        if not a.is_open:
            raise Conflict("only an open invitation can be cancelled")
        a.status = A.CANCELLED
        a.save(update_fields=["status", "updated_at"])
        _refresh_status(a.request)
        bump_version(ASKS_VERSION_KEY)
    return a


def request_cancel(*, request: ReferenceRequest, actor) -> ReferenceRequest:
    with transaction.atomic():
        req = ReferenceRequest.objects.select_for_update().get(pk=request.pk)
        if req.status in {S.CLOSED, S.CANCELLED}:
            raise Conflict(f"the request is already {req.get_status_display().lower()}")
        for a in req.assignments.filter(status__in=Assignment.OPEN_STATUSES):
            a.status = A.CANCELLED
            a.save(update_fields=["status", "updated_at"])
        req.status = S.CANCELLED
        req.save(update_fields=["status", "updated_at"])
        bump_version(ASKS_VERSION_KEY)
    return req


def opportunity_outcome_record(
    *, opportunity: Opportunity, outcome: str, amount=None, closed_at: date | None = None
) -> Opportunity:
    """Won or lost (with the amount won); closes its completed reference requests."""
    if outcome not in Opportunity.Outcome.values:
        raise ServiceError(f"outcome must be open, won or lost, not {outcome!r}", field="outcome")
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        opp.outcome = outcome
        if outcome == Opportunity.Outcome.WON:
            opp.won_amount = _money(amount if amount not in (None, "") else opp.amount, "amount")
        else:
            opp.won_amount = None
        opp.closed_at = None if outcome == "open" else (closed_at or timezone.localdate())
        opp.save(update_fields=["outcome", "won_amount", "closed_at", "updated_at"])
        if outcome != Opportunity.Outcome.OPEN:
            opp.reference_requests.filter(status=S.COMPLETED).update(
                status=S.CLOSED, updated_at=timezone.now()
            )
            event_publish(
                type=f"opportunity.{outcome}",
                data={
                    "opportunity_id": opp.pk,
                    "crm_id": opp.crm_id,
                    "amount": str(opp.won_amount or 0),
                },
            )
    return opp


def settings_update(*, weights: dict[str, float], **fields) -> MatchSettings:
    conf = MatchSettings.current()
    changed = []
    for name, value in weights.items():
        if name not in MatchSettings.FACTORS:
            raise ServiceError(f"unknown factor {name!r}", field=f"w_{name}")
        if value < 0 or value > 10:
            raise ServiceError("weights are between 0 and 10", field=f"w_{name}")
        setattr(conf, f"w_{name}", float(value))
        changed.append(f"w_{name}")
    for name, value in fields.items():
        setattr(conf, name, value)
        changed.append(name)
    if not 0 <= conf.auto_assign_min_score <= 1:
        raise ServiceError("the threshold is between 0 and 1", field="auto_assign_min_score")
    conf.save(update_fields=[*changed, "updated_at"])
    return conf


def policy_update(*, activity_type: str, **fields) -> FatiguePolicy:
    """Create or change the fatigue rules for one scope ("" = all asks)."""
    for name, value in fields.items():
        is_limit = name.endswith("_days") or name.startswith("max_")
        if is_limit and (value is None or int(value) < 0 or int(value) > 3650):
            raise ServiceError("enter a number between 0 and 3650", field=name)
    if fields.get("window_days") == 0 and fields.get("max_asks_in_window"):
        raise ServiceError("the window needs at least one day", field="window_days")
    with transaction.atomic():
        row, _ = FatiguePolicy.objects.get_or_create(activity_type=activity_type)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        bump_version(ASKS_VERSION_KEY)
    return row


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """SLA reminders (idempotent per day): invitations unanswered past the response SLA
    remind the advocate; requests unreviewed past the review SLA remind the managers."""
    from ovation.users.models import User

    now = now or timezone.now()
    conf = MatchSettings.current()
    day_ago = now - timedelta(hours=23)
    sent = {"advocates": 0, "managers": 0}
    stale = Assignment.objects.filter(
        status=A.INVITED, invited_at__lt=now - timedelta(hours=conf.sla_response_hours)
    ).exclude(reminded_at__gt=day_ago)
    for a in stale.select_related("contact", "request"):
        if (
            Assignment.objects.filter(pk=a.pk)
            .exclude(reminded_at__gt=day_ago)
            .update(reminded_at=now)
        ):
            send_mail(
                subject="Reminder: a peer would value your time",
                message=f"Please accept or decline the reference request here: {_hub_url()}",
                from_email=None,
                recipient_list=[a.contact.email],
                fail_silently=True,
            )
            sent["advocates"] += 1
    overdue = ReferenceRequest.objects.filter(status=S.SUBMITTED, review_due_at__lt=now).exclude(
        reminded_at__gt=day_ago
    )
    managers = list(
        User.objects.filter(role__in=["manager", "admin"], is_active=True).values_list(
            "email", flat=True
        )
    )
    for r in overdue:
        if (
            ReferenceRequest.objects.filter(pk=r.pk)
            .exclude(reminded_at__gt=day_ago)
            .update(reminded_at=now)
        ):
            if managers:
                send_mail(
                    subject=f"Reference request #{r.pk} is waiting for review",
                    message=f"Request #{r.pk} passed its {conf.sla_review_hours}h review SLA.",
                    from_email=None,
                    recipient_list=managers,
                    fail_silently=True,
                )
            sent["managers"] += 1
    return sent
