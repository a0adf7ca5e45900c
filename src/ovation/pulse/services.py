"""Writes for Pulse: answers, campaigns and their emails, follow-ups, the advocate definition
and stage changes. Every write keeps the rollups in step in the same transaction; emails and
stage recomputation run as tasks enqueued after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import NotFound, ServiceError
from ovation.directory.models import Contact

from . import selectors, stages
from .models import (
    DEFAULT_ADVOCACY_KINDS,
    AdvocacySnapshot,
    AdvocateDefinition,
    Campaign,
    FollowUp,
    Response,
    ResponseTheme,
    StageTransition,
    SurveyInvitation,
    SurveyOptOut,
)
from .rollups import latest_refresh, rollup_apply
from .segments import ALL, account_q, account_segment_map, customer_contacts
from .stats import DETRACTOR, category, month_start
from .themes import classify, theme_text

FOLLOW_UP_MAX_AGE_DAYS = 30
MAX_TEXT = 4000


# --- advocate definition -------------------------------------------------------------------


def advocate_definition_current() -> AdvocateDefinition:
    """The definition in force (version 1 with the documented defaults is created on first use)."""
    current = AdvocateDefinition.objects.order_by("-version").first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return AdvocateDefinition.objects.create(
                version=1, advocacy_kinds=list(DEFAULT_ADVOCACY_KINDS), note="defaults"
            )
    except IntegrityError:
        return AdvocateDefinition.objects.order_by("-version").first()


DEFINITION_FIELDS = (
    "promoter_min_score",
    "promoter_window_days",
    "advocate_min_acts",
    "advocate_window_days",
    "champion_min_acts",
    "champion_window_days",
    "account_min_advocates",
)


@transaction.atomic
def advocate_definition_create(
    *, actor, advocacy_kinds: list[str], note: str = "", **numbers: int
) -> AdvocateDefinition:
    """Save a new version of the definition and recompute every stage under it (a task)."""
    unknown = set(numbers) - set(DEFINITION_FIELDS)
    if unknown:
        raise ServiceError(f"unknown setting {sorted(unknown)[0]}", field=sorted(unknown)[0])
    current = advocate_definition_current()
    values = {name: getattr(current, name) for name in DEFINITION_FIELDS}
    values.update(numbers)
    if not 0 <= values["promoter_min_score"] <= 10:
        raise ServiceError("must be between 0 and 10", field="promoter_min_score")
    for name in ("promoter_window_days", "advocate_window_days", "champion_window_days"):
        if not 1 <= values[name] <= 3650:
            raise ServiceError("must be between 1 and 3650 days", field=name)
    for name in ("advocate_min_acts", "champion_min_acts", "account_min_advocates"):
        if not 1 <= values[name] <= 100:
            raise ServiceError("must be between 1 and 100", field=name)
    if values["champion_min_acts"] < values["advocate_min_acts"]:
        raise ServiceError(
            "a champion needs at least as many acts as an advocate", field="champion_min_acts"
        )
    kinds = sorted({k.strip() for k in advocacy_kinds if k and k.strip()})
    if not kinds:
        raise ServiceError("choose at least one advocacy act", field="advocacy_kinds")
    definition = AdvocateDefinition.objects.create(
        version=current.version + 1,
        advocacy_kinds=kinds,
        note=note[:300],
        created_by=actor,
        **values,
    )
    from .tasks import recompute_task

    transaction.on_commit(lambda: recompute_task.enqueue())
    return definition


# --- answers -------------------------------------------------------------------------------


def _validate_score(score: Any) -> int:
    if isinstance(score, bool):
        raise ServiceError("score must be a whole number from 0 to 10", field="score")
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError) as exc:
        raise ServiceError("score must be a whole number from 0 to 10", field="score") from exc
    if str(value) != str(score).strip() and not isinstance(score, int):
        raise ServiceError("score must be a whole number from 0 to 10", field="score")
    if not 0 <= value <= 10:
        raise ServiceError(f"score must be between 0 and 10, got {value}", field="score")
    return value


def _themes_write(response: Response) -> None:
    ResponseTheme.objects.filter(response=response).delete()
    found = classify(theme_text(response.score, response.reason, response.improvement))
    ResponseTheme.objects.bulk_create(
        ResponseTheme(
            response=response,
            theme=theme,
            terms=", ".join(terms)[:200],
            account_id=response.account_id,
            answered_at=response.answered_at,
            score=response.score,
        )
        for theme, terms in found.items()
    )


@transaction.atomic
def response_record(
    *,
    contact: Contact,
    score: Any,
    reason: str = "",
    improvement: str = "",
    answered_at: datetime | None = None,
    source: str = Response.Source.SURVEY,
    invitation: SurveyInvitation | None = None,
    external_id: str | None = None,
    open_follow_up: bool | None = None,
) -> tuple[Response, bool]:
    """Record an NPS answer; returns (response, created).

    The same invitation or external id answered again updates the one response (no
    duplicate). Detractor answers from the last 30 days open a follow-up for the CSM unless
    `open_follow_up` says otherwise (historical imports)."""
    score = _validate_score(score)
    reason = (reason or "").strip()[:MAX_TEXT]
    improvement = (improvement or "").strip()[:MAX_TEXT]
    now = timezone.now()
    answered_at = answered_at or now
    if answered_at > now + timedelta(minutes=5):
        raise ServiceError("answered_at is in the future", field="answered_at")
    external_id = (external_id or "").strip() or None
    existing = None
    if invitation is not None:
        existing = Response.objects.select_for_update().filter(invitation=invitation).first()
    elif external_id:
        existing = Response.objects.select_for_update().filter(external_id=external_id).first()
        if existing is not None and existing.contact_id != contact.pk:
            raise ServiceError(
                "this external_id belongs to an answer by another contact", field="external_id"
            )
    if existing is not None:
        return _response_update(existing, score, reason, improvement, open_follow_up), False

    try:
        with transaction.atomic():
            response = Response.objects.create(
                contact=contact,
                account_id=contact.account_id,
                campaign=invitation.campaign if invitation else None,
                invitation=invitation,
                score=score,
                reason=reason,
                improvement=improvement,
                contact_stage=contact.stage,
                answered_at=answered_at,
                source=source,
                external_id=external_id,
            )
    except IntegrityError:
        # A concurrent request created it first: update that one instead.
        lookup = {"invitation": invitation} if invitation else {"external_id": external_id}
        existing = Response.objects.select_for_update().filter(**lookup).first()
        if existing is None:
            raise
        return _response_update(existing, score, reason, improvement, open_follow_up), False

    rollup_apply([(response.account_id, answered_at, score, response.contact_stage, 1)])
    latest_refresh(contact.pk)
    _themes_write(response)
    activity_record(
        kind=Activity.Kind.NPS_ANSWERED,
        contact=contact,
        occurred_at=answered_at,
        source="pulse",
        data={"score": score, "response_id": response.pk, "category": category(score)},
        external_id=f"pulse:nps:{response.pk}",
    )
    _maybe_follow_up(response, open_follow_up)
    return response, True


def _response_update(
    response: Response, score: int, reason: str, improvement: str, open_follow_up: bool | None
) -> Response:
    old_score = response.score
    changed = []
    if score != old_score:
        response.score = score
        changed.append("score")
    if reason and reason != response.reason:
        response.reason = reason
        changed.append("reason")
    if improvement and improvement != response.improvement:
        response.improvement = improvement
        changed.append("improvement")
    if not changed:
        return response
    response.save(update_fields=[*changed, "updated_at"])
    if "score" in changed:
        rollup_apply(
            [
                (response.account_id, response.answered_at, old_score, response.contact_stage, -1),
                (response.account_id, response.answered_at, score, response.contact_stage, 1),
            ]
        )
        latest_refresh(response.contact_id)
        Activity.objects.filter(external_id=f"pulse:nps:{response.pk}").update(
            data={"score": score, "response_id": response.pk, "category": category(score)}
        )
        contact_id = response.contact_id
        from .tasks import contact_stage_sync_task

        transaction.on_commit(lambda: contact_stage_sync_task.enqueue(contact_id=contact_id))
    _themes_write(response)
    _maybe_follow_up(response, open_follow_up)
    return response


def _maybe_follow_up(response: Response, open_follow_up: bool | None) -> None:
    if category(response.score) != DETRACTOR:
        return
    if open_follow_up is None:
        open_follow_up = response.answered_at >= timezone.now() - timedelta(
            days=FOLLOW_UP_MAX_AGE_DAYS
        )
    if open_follow_up:
        follow_up_open(response=response)


@transaction.atomic
def response_answer_invitation(
    *, invitation: SurveyInvitation, score: Any, reason: str = "", improvement: str = ""
) -> Response:
    """A recipient answers through their personal link (refused once the link expired)."""
    if invitation.expires_at <= timezone.now():
        raise ServiceError("this survey link has expired", field="token", code="expired")
    response, _ = response_record(
        contact=invitation.contact,
        score=score,
        reason=reason,
        improvement=improvement,
        invitation=invitation,
        source=Response.Source.SURVEY,
    )
    return response


def invitation_open(*, invitation: SurveyInvitation) -> None:
    if invitation.opened_at is None:
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )


@transaction.atomic
def survey_opt_out(*, invitation: SurveyInvitation) -> SurveyOptOut:
    """The recipient asks for no more NPS surveys; every later campaign skips them."""
    opt_out, _ = SurveyOptOut.objects.get_or_create(
        contact=invitation.contact, defaults={"via_campaign": invitation.campaign}
    )
    return opt_out


# --- follow-ups ----------------------------------------------------------------------------


def follow_up_open(*, response: Response) -> FollowUp:
    owner_id = None
    if response.account_id:
        owner_id = (
            selectors.account_csm_id(account_id=response.account_id)
            if response.account_id
            else None
        )
    follow_up, created = FollowUp.objects.get_or_create(
        response=response,
        defaults={
            "contact_id": response.contact_id,
            "account_id": response.account_id,
            "owner_id": owner_id,
        },
    )
    if created:
        from .tasks import follow_up_email_task

        pk = follow_up.pk
        transaction.on_commit(lambda: follow_up_email_task.enqueue(follow_up_id=pk))
    return follow_up


@transaction.atomic
def follow_up_update(*, follow_up: FollowUp, actor, status: str, note: str) -> FollowUp:
    if status not in FollowUp.Status.values:
        raise ServiceError(f"unknown status {status!r}", field="status")
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    changed = []
    if status != locked.status:
        locked.status = status
        locked.closed_at = timezone.now() if status == FollowUp.Status.CLOSED else None
        changed += ["status", "closed_at"]
    note = (note or "").strip()[:MAX_TEXT]
    if note != locked.note:
        locked.note = note
        changed.append("note")
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        activity_record(
            kind="nps.follow_up",
            contact=locked.contact,
            source="pulse",
            actor=actor,
            data={"follow_up_id": locked.pk, "status": locked.status, "note": locked.note[:200]},
            publish=False,
        )
    return locked


def follow_up_email_send(*, follow_up_id: int) -> bool:
    follow_up = (
        FollowUp.objects.select_related("owner", "contact", "account", "response")
        .filter(pk=follow_up_id)
        .first()
    )
    if follow_up is None or follow_up.owner is None or not follow_up.owner.email:
        return False
    ctx = {
        "follow_up": follow_up,
        "url": f"{settings.OVATION_BASE_URL}/pulse/follow-ups/?status=open",
    }
    subject = (
        f"Detractor: {follow_up.contact} ({follow_up.account or 'no account'}) "
        f"answered {follow_up.response.score}"
    )
    body = render_to_string("pulse/email/follow_up.txt", ctx)
    EmailMultiAlternatives(subject, body, to=[follow_up.owner.email]).send()
    return True


# --- campaigns -----------------------------------------------------------------------------

AUDIENCE_KEYS = {
    "industry",
    "region",
    "product",
    "arr_band",
    "employee_band",
    "csm",
    "stage",
    "surveyed_days",
}


def _clean_audience(audience: dict) -> dict:
    clean: dict[str, Any] = {}
    for key, value in (audience or {}).items():
        if key not in AUDIENCE_KEYS:
            raise ServiceError(f"unknown audience filter {key}", field=key)
        if key == "surveyed_days":
            if value in (None, ""):
                continue
            try:
                days = int(value)
            except (TypeError, ValueError) as exc:
                raise ServiceError("must be a number of days", field=key) from exc
            if days < 0:
                raise ServiceError("must be 0 or more days", field=key)
            clean[key] = days
            continue
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v]
        if values:
            clean[key] = values
    return clean


@transaction.atomic
def campaign_create(
    *,
    actor,
    name: str,
    question: str = "",
    audience: dict | None = None,
    scheduled_at: datetime | None = None,
    send_now: bool = False,
    token_ttl_days: int = 30,
    reminder_after_days: int = 5,
) -> Campaign:
    name = (name or "").strip()
    if not name:
        raise ServiceError("give the campaign a name", field="name")
    if not 1 <= token_ttl_days <= 365:
        raise ServiceError("links must live 1 to 365 days", field="token_ttl_days")
    if not 0 <= reminder_after_days < token_ttl_days:
        raise ServiceError(
            "the reminder must come before the links expire", field="reminder_after_days"
        )
    if scheduled_at and not send_now and scheduled_at <= timezone.now():
        raise ServiceError("choose a time in the future, or send now", field="scheduled_at")
    campaign = Campaign.objects.create(
        name=name[:200],
        question=(question or "").strip()[:300] or Campaign._meta.get_field("question").default,
        audience=_clean_audience(audience or {}),
        created_by=actor,
        token_ttl_days=token_ttl_days,
        reminder_after_days=reminder_after_days,
        scheduled_at=None if send_now else scheduled_at,
        status=Campaign.Status.SCHEDULED if (send_now or scheduled_at) else Campaign.Status.DRAFT,
    )
    if send_now or scheduled_at:
        _campaign_enqueue(campaign)
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, scheduled_at: datetime | None) -> Campaign:
    """Send a draft now (scheduled_at None) or at a time."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise ServiceError("this campaign was already sent", field="status")
    campaign.scheduled_at = scheduled_at
    campaign.status = Campaign.Status.SCHEDULED
    campaign.save(update_fields=["scheduled_at", "status"])
    _campaign_enqueue(campaign)
    return campaign


def _enqueue_at(task, when: datetime | None, **kwargs) -> None:
    backend = task.get_backend()
    if when and when > timezone.now() and backend.supports_defer:
        transaction.on_commit(lambda: task.using(run_after=when).enqueue(**kwargs))
    elif not when or when <= timezone.now():
        transaction.on_commit(lambda: task.enqueue(**kwargs))
    # else: no deferred execution on this backend; campaigns_dispatch_due() picks it up.


def _campaign_enqueue(campaign: Campaign) -> None:
    from .tasks import campaign_send_task

    _enqueue_at(campaign_send_task, campaign.scheduled_at, campaign_id=campaign.pk)


def campaign_send(*, campaign_id: int) -> int:
    """Create the invitations and email them. Safe to re-run: only unsent invitations go out,
    and a campaign scheduled for later is left alone. Returns the number of emails sent."""
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound("no such campaign")
        if campaign.status == Campaign.Status.DRAFT:
            return 0
        if campaign.scheduled_at and campaign.scheduled_at > now:
            return 0
        if campaign.status == Campaign.Status.SCHEDULED:
            expires = now + timedelta(days=campaign.token_ttl_days)
            contact_ids = list(
                selectors.campaign_audience(campaign.audience).values_list("id", flat=True)
            )
            SurveyInvitation.objects.bulk_create(
                [
                    SurveyInvitation(campaign=campaign, contact_id=cid, expires_at=expires)
                    for cid in contact_ids
                ],
                ignore_conflicts=True,
                batch_size=2000,
            )
            campaign.status = Campaign.Status.SENDING
            campaign.sent_at = now
            campaign.save(update_fields=["status", "sent_at"])
    sent = 0
    pending = (
        SurveyInvitation.objects.filter(campaign_id=campaign_id, sent_at__isnull=True)
        .exclude(contact__nps_opt_out__isnull=False)
        .select_related("contact", "campaign")
    )
    for invitation in pending.iterator(chunk_size=500):
        _invitation_email(invitation, reminder=False)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
        sent += 1
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT
        )
        campaign = Campaign.objects.get(pk=campaign_id)
        if campaign.reminder_after_days and campaign.reminder_sent_at is None:
            from .tasks import campaign_remind_task

            _enqueue_at(
                campaign_remind_task,
                (campaign.sent_at or now) + timedelta(days=campaign.reminder_after_days),
                campaign_id=campaign_id,
            )
    return sent


def campaign_remind(*, campaign_id: int) -> int:
    """The one reminder to recipients who have not answered (and have not opted out)."""
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if (
            campaign is None
            or campaign.status != Campaign.Status.SENT
            or not campaign.reminder_after_days
            or campaign.reminder_sent_at is not None
            or (campaign.sent_at or now) + timedelta(days=campaign.reminder_after_days) > now
        ):
            return 0
        Campaign.objects.filter(pk=campaign_id).update(reminder_sent_at=now)
    due = (
        SurveyInvitation.objects.filter(
            campaign_id=campaign_id,
            sent_at__isnull=False,
            reminded_at__isnull=True,
            response__isnull=True,
            expires_at__gt=now,
        )
        .exclude(contact__nps_opt_out__isnull=False)
        .select_related("contact", "campaign")
    )
    sent = 0
    for invitation in due.iterator(chunk_size=500):
        _invitation_email(invitation, reminder=True)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(reminded_at=timezone.now())
        sent += 1
    return sent


def campaigns_dispatch_due() -> dict[str, int]:
    """Send scheduled campaigns and reminders that are due (for backends that cannot defer
    a task; `ovation recompute` calls it too). Idempotent."""
    now = timezone.now()
    sent = reminded = 0
    for cid in (
        Campaign.objects.filter(status__in=[Campaign.Status.SCHEDULED, Campaign.Status.SENDING])
        .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now))
        .values_list("id", flat=True)
    ):
        sent += campaign_send(campaign_id=cid)
    for cid in Campaign.objects.filter(
        status=Campaign.Status.SENT, reminder_sent_at__isnull=True, reminder_after_days__gt=0
    ).values_list("id", flat=True):
        reminded += campaign_remind(campaign_id=cid)
    return {"sent": sent, "reminded": reminded}


def survey_url(token: str, score: int | None = None) -> str:
    url = f"{settings.OVATION_BASE_URL}/s/{token}"
    return url if score is None else f"{url}?score={score}"


def _invitation_email(invitation: SurveyInvitation, *, reminder: bool) -> None:
    contact = invitation.contact
    ctx = {
        "contact": contact,
        "campaign": invitation.campaign,
        "reminder": reminder,
        "scores": [(n, survey_url(invitation.token, n)) for n in range(11)],
        "survey_url": survey_url(invitation.token),
        "unsubscribe_url": f"{survey_url(invitation.token)}/unsubscribe",
        "expires_at": invitation.expires_at,
    }
    subject = (
        "Reminder: " if reminder else ""
    ) + "Quick question: how likely are you to recommend us?"
    message = EmailMultiAlternatives(
        subject,
        render_to_string("pulse/email/survey.txt", ctx),
        to=[contact.email],
        headers={
            "List-Unsubscribe": f"<{ctx['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("pulse/email/survey.html", ctx), "text/html")
    message.send()


# --- stages --------------------------------------------------------------------------------


def contact_stage_evidence(
    contact_ids: list[int] | None, kinds: list[str]
) -> tuple[dict[int, list], dict[int, list]]:
    """NPS answers and advocacy acts per contact (all contacts when contact_ids is None)."""
    nps: dict[int, list] = {}
    acts: dict[int, list] = {}
    responses = Response.objects.order_by()
    activities = Activity.objects.filter(kind__in=kinds, contact__isnull=False).order_by()
    if contact_ids is not None:
        responses = responses.filter(contact_id__in=contact_ids)
        activities = activities.filter(contact_id__in=contact_ids)
    for cid, at, score in responses.values_list("contact_id", "answered_at", "score").iterator(
        chunk_size=20000
    ):
        nps.setdefault(cid, []).append((at, score))
    for cid, at, kind in activities.values_list("contact_id", "occurred_at", "kind").iterator(
        chunk_size=20000
    ):
        acts.setdefault(cid, []).append((at, kind))
    return nps, acts


@transaction.atomic
def contact_stage_sync(*, contact_id: int, publish: bool = True) -> str | None:
    """Recompute one contact's stage history under the current definition; write the dated
    transitions that differ, update Contact.stage and announce a change of the current stage.
    Returns the new stage when it changed, else None."""
    definition = advocate_definition_current()
    rules = stages.Rules.from_definition(definition)
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        return None
    nps, acts = contact_stage_evidence([contact_id], list(rules.advocacy_kinds))
    now = timezone.now()
    history = stages.stage_history(nps.get(contact_id, []), acts.get(contact_id, []), rules, now)
    changed = transitions_sync({contact_id: history}, definition)
    new_stage = history[-1].to_stage if history else stages.CUSTOMER
    if new_stage == contact.stage:
        return None
    old_stage = contact.stage
    Contact.objects.filter(pk=contact_id).update(stage=new_stage, updated_at=now)
    last = history[-1] if history else None
    if not changed and last is None:
        StageTransition.objects.create(
            contact_id=contact_id,
            from_stage=old_stage,
            to_stage=new_stage,
            occurred_at=now,
            explanation="no evidence under the current definition",
            definition=definition,
        )
    if publish:
        event_publish(
            type="contact.stage_changed",
            contact=contact,
            data={
                "contact_id": contact_id,
                "from": old_stage,
                "to": new_stage,
                "explanation": last.explanation if last else "",
                "definition_version": definition.version,
            },
        )
    if contact.account_id:
        advocacy_snapshot_refresh(account_ids=[contact.account_id])
    return new_stage


def transitions_sync(
    histories: dict[int, list[stages.Change]], definition: AdvocateDefinition
) -> int:
    """Make the stored transitions of these contacts equal to `histories`; returns how many
    contacts' histories changed. Unchanged histories are left alone (safe to re-run)."""
    ids = list(histories)
    existing: dict[int, list[tuple]] = {}
    for start in range(0, len(ids), 20000):
        for row in (
            StageTransition.objects.filter(contact_id__in=ids[start : start + 20000])
            .order_by("contact_id", "occurred_at", "id")
            .values_list("contact_id", "occurred_at", "from_stage", "to_stage", "explanation")
        ):
            existing.setdefault(row[0], []).append(row[1:])
    stale: list[int] = []
    rows: list[StageTransition] = []
    for cid, history in histories.items():
        wanted = [(c.at, c.from_stage, c.to_stage, c.explanation) for c in history]
        if existing.get(cid, []) == wanted:
            continue
        stale.append(cid)
        rows.extend(
            StageTransition(
                contact_id=cid,
                from_stage=c.from_stage,
                to_stage=c.to_stage,
                occurred_at=c.at,
                explanation=c.explanation,
                definition=definition,
            )
            for c in history
        )
    for start in range(0, len(stale), 5000):
        StageTransition.objects.filter(contact_id__in=stale[start : start + 5000]).delete()
    StageTransition.objects.bulk_create(rows, batch_size=5000)
    return len(stale)


# --- advocacy snapshots --------------------------------------------------------------------


def _advocacy_counts(dimension: str, value: str, min_advocates: int) -> dict[str, int]:
    from django.db.models import Count

    contacts = customer_contacts().filter(account_q(dimension, value, prefix="account__"))
    by_stage = dict(contacts.order_by().values_list("stage").annotate(n=Count("id")))
    accounts = contacts.order_by().values("account_id").distinct().count()
    advocate_accounts = (
        contacts.filter(stage__in=[stages.ADVOCATE, stages.CHAMPION])
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
        .filter(n__gte=min_advocates)
        .count()
    )
    champions = by_stage.get(stages.CHAMPION, 0)
    advocates = by_stage.get(stages.ADVOCATE, 0) + champions
    return {
        "contacts": sum(by_stage.values()),
        "promoters": by_stage.get(stages.PROMOTER, 0) + advocates,
        "advocates": advocates,
        "champions": champions,
        "accounts": accounts,
        "advocate_accounts": advocate_accounts,
    }


def advocacy_snapshot_refresh(*, account_ids: list[int] | None = None) -> int:
    """Refresh this month's snapshot rows for the segments of these accounts (all segments
    when None) from the contacts' current stages. Returns the number of rows written."""
    definition = advocate_definition_current()
    month = month_start(timezone.localdate())
    if account_ids is None:
        segments = {ALL}
        for segs in account_segment_map(
            customer_contacts().values_list("account_id", flat=True).distinct()
        ).values():
            segments.update(segs)
    else:
        segments = {ALL}
        for segs in account_segment_map(account_ids).values():
            segments.update(segs)
    n = 0
    for dimension, value in sorted(segments):
        counts = _advocacy_counts(dimension, value, definition.account_min_advocates)
        AdvocacySnapshot.objects.update_or_create(
            month=month, dimension=dimension, value=value, defaults=counts
        )
        n += 1
    return n
