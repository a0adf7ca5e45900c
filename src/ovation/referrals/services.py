"""Writes for the referral program: programs, links, clicks, referred leads, their lifecycle,
reviews and the rewards each stage pays (once, through the ledger) or claws back."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import markdown
import nh3
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, connections, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from ovation.activity.services import activity_record, event_publish
from ovation.core.errors import Conflict, NotFound, ServiceError
from ovation.directory.models import Account, Contact
from ovation.ledger.models import LedgerEntry
from ovation.ledger.services import ledger_credit, ledger_reverse

from . import fraud
from .models import (
    AdvocateNetwork,
    Referral,
    ReferralClick,
    ReferralEvent,
    ReferralLink,
    ReferralProgram,
    ReferralReward,
    ReferralRewardRule,
    WebhookReceipt,
)
from .tracking import channel_clean, code_generate

Status = Referral.Status
STAGE_RANK = {"": 0, "lead": 0, "qualified": 1, "opportunity": 2, "won": 3}
OPEN_STATUSES = (Status.LEAD, Status.QUALIFIED, Status.OPPORTUNITY)
REWARD_STAGES = ("qualified", "opportunity", "won")
ALLOWED_BODY_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "blockquote"}


# --- programs ---------------------------------------------------------------------------------


def markdown_render(text: str) -> str:
    """Markdown to HTML, then sanitised with nh3 (no scripts, styles or event handlers)."""
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    return nh3.clean(html, tags=ALLOWED_BODY_TAGS, link_rel="noopener nofollow")


@transaction.atomic
def program_save(
    *,
    program: ReferralProgram,
    rules: list[dict] | None = None,
    actor=None,
    image: tuple[bytes, str] | None = None,
    remove_image: bool = False,
) -> ReferralProgram:
    """Create or update a program (already validated by its form) and replace its reward
    rules with `rules` ([{stage, recipient, points, note}]) when given. `image` is
    (bytes, content type) from `core.images.image_clean`; `remove_image` drops the current one."""
    if not 1 <= program.attribution_window_days <= 548:
        raise ServiceError(
            "the attribution window must be 1 to 548 days (18 months)",
            field="attribution_window_days",
        )
    program.body_html = markdown_render(program.body_markdown)
    if image:
        program.image_data, program.image_type = image
    elif remove_image:
        program.image_data, program.image_type = None, ""
    program.save()
    if rules is not None:
        keep = []
        for rule in rules:
            if not rule.get("points") and not rule.get("note"):
                continue
            obj, _ = ReferralRewardRule.objects.update_or_create(
                program=program,
                stage=rule["stage"],
                recipient=rule["recipient"],
                defaults={"points": rule.get("points") or 0, "note": rule.get("note") or ""},
            )
            keep.append(obj.pk)
        program.reward_rules.exclude(pk__in=keep).delete()
    return program


# --- links and clicks ---------------------------------------------------------------------------


def link_get_or_create(*, program: ReferralProgram, contact: Contact) -> ReferralLink:
    """The contact's personal link for the program (created on first use; a code collision,
    about 1 in 10^15, is retried)."""
    existing = ReferralLink.objects.filter(program=program, contact=contact).first()
    if existing is not None:
        return existing
    for _ in range(5):
        try:
            with transaction.atomic():
                return ReferralLink.objects.create(
                    program=program, contact=contact, code=code_generate()
                )
        except IntegrityError:
            existing = ReferralLink.objects.filter(program=program, contact=contact).first()
            if existing is not None:
                return existing
    raise Conflict("could not allocate a unique referral code", field="code")


def links_for_contact(*, contact: Contact) -> list[ReferralLink]:
    """One link per active program for an advocate (created lazily)."""
    programs = ReferralProgram.objects.filter(is_active=True).order_by("name")
    return [link_get_or_create(program=p, contact=contact) for p in programs]


_CLICK_INSERT: dict[str, str] = {}
_CLICK_COLUMNS = (
    "link_id",
    "program_id",
    "clicked_at",
    "ip_hash",
    "agent",
    "referer_host",
    "channel",
    "is_bot",
    "is_duplicate",
)


def _click_sql(conn) -> str:
    sql = _CLICK_INSERT.get(conn.alias)
    if sql is None:
        qn = conn.ops.quote_name
        table = qn(ReferralClick._meta.db_table)
        cols = ", ".join(qn(ReferralClick._meta.get_field(c).column) for c in _CLICK_COLUMNS)
        marks = ", ".join(["%s"] * len(_CLICK_COLUMNS))
        sql = _CLICK_INSERT[conn.alias] = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from the model
    return sql


def click_record(
    *,
    link_id: int,
    program_id: int,
    ip_hash: str,
    agent: str,
    referer_host: str,
    channel: str,
    is_duplicate: bool,
) -> None:
    """The only database write of a click: one INSERT in autocommit mode (no BEGIN/COMMIT
    pair, no ORM compilation: this runs on every hit of the busiest URL)."""
    conn = connections["default"]
    params = (
        link_id,
        program_id,
        conn.ops.adapt_datetimefield_value(timezone.now()),
        ip_hash,
        agent,
        referer_host,
        channel,
        agent == ReferralClick.Agent.BOT,
        is_duplicate,
    )
    with conn.cursor() as cursor:
        cursor.execute(_click_sql(conn), params)


def advocate_network_touch(*, contact: Contact, ip_hash: str) -> None:
    """Remember the network an advocate uses in the hub (once a day per network)."""
    now = timezone.now()
    updated = AdvocateNetwork.objects.filter(
        contact=contact, ip_hash=ip_hash, last_seen_at__lt=now - timedelta(days=1)
    ).update(last_seen_at=now)
    if not updated:
        try:
            with transaction.atomic():
                AdvocateNetwork.objects.get_or_create(
                    contact=contact, ip_hash=ip_hash, defaults={"last_seen_at": now}
                )
        except IntegrityError:
            pass


# --- the lead ----------------------------------------------------------------------------------


def _event(referral, *, action, source, actor=None, from_status="", to_status="", note=""):
    return ReferralEvent.objects.create(
        referral=referral,
        action=action,
        source=source,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
    )


def _event_data(referral: Referral) -> dict:
    return {
        "referral_id": referral.pk,
        "program_id": referral.program_id,
        "program": referral.program.slug,
        "referrer_contact_id": referral.referrer_id,
        "status": referral.status,
        "amount": str(referral.deal_amount) if referral.deal_amount is not None else None,
        "referee_contact_id": referral.referee_contact_id,
        "referee_account_id": referral.referee_account_id,
    }


def referral_submit(
    *,
    program: ReferralProgram,
    link: ReferralLink,
    first_name: str,
    last_name: str = "",
    email: str,
    company: str = "",
    phone: str = "",
    message: str = "",
    consent: bool,
    ip_hash: str = "",
    channel: str = "",
    source: str = ReferralEvent.Source.FORM,
    actor=None,
) -> Referral:
    """A friend arrives through an advocate's link: run the fraud rules, store the lead, tell
    the referrer's timeline (`referral.made`) and publish `referral.created`. A blocked lead is
    stored too (the manager sees why) but never counts or pays."""
    if not consent:
        raise ServiceError("please agree to be contacted", field="consent")
    if link.program_id != program.pk:
        raise ServiceError("this link belongs to another program", field="link")
    referrer = Contact.objects.select_related("account").get(pk=link.contact_id)
    now = timezone.now()
    with transaction.atomic():
        candidate = fraud.Candidate(
            program=program,
            referrer=referrer,
            link_id=link.pk,
            email=email,
            ip_hash=ip_hash,
            now=now,
        )
        findings = fraud.evaluate(candidate)
        blocked = any(f.severity == fraud.BLOCK for f in findings)
        flagged = any(f.severity == fraud.FLAG for f in findings)
        referral = Referral(
            program=program,
            link=link,
            referrer=referrer,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email.strip(),
            email_normalized=candidate.email_normalized,
            company=company.strip(),
            phone=phone.strip(),
            message=message.strip(),
            consent_at=now,
            channel=channel_clean(channel),
            ip_hash=ip_hash,
            status=Status.DISQUALIFIED if blocked else Status.LEAD,
            review=(
                Referral.Review.BLOCKED
                if blocked
                else Referral.Review.FLAGGED
                if flagged
                else Referral.Review.CLEAR
            ),
            fraud_flags=[f.as_dict() for f in findings],
            counts=not blocked,
            status_changed_at=now,
            status_reason=findings[0].advocate_reason if blocked else "",
        )
        try:
            with transaction.atomic():
                referral.save()
        except IntegrityError:
            # A concurrent submission of the same person won the race: first valid wins.
            dup = fraud.rule_duplicate_referral(candidate)
            finding = dup or fraud.Finding(
                "duplicate_referral",
                fraud.BLOCK,
                "already referred (concurrent submission)",
                "Someone else referred this person first.",
            )
            referral.pk = None
            referral.counts = False
            referral.status = Status.DISQUALIFIED
            referral.review = Referral.Review.BLOCKED
            referral.fraud_flags = [finding.as_dict(), *referral.fraud_flags]
            referral.status_reason = finding.advocate_reason
            referral.save()
        _event(
            referral,
            action="blocked" if blocked else "flagged" if flagged else "created",
            source=source,
            actor=actor,
            to_status=referral.status,
            note="; ".join(f"{f['rule']}: {f['reason']}" for f in referral.fraud_flags),
        )
        if referral.counts:
            activity_record(
                kind="referral.made",
                contact=referrer,
                occurred_at=now,
                source="referrals",
                data={
                    "referral_id": referral.pk,
                    "program": program.slug,
                    "company": referral.company,
                    "review": referral.review,
                },
                external_id=f"referral:{referral.pk}:made",
                publish=False,
            )
            event_publish(type="referral.created", contact=referrer, data=_event_data(referral))
        if program.double_opt_in and referral.counts:
            transaction.on_commit(lambda: _send_confirmation(referral.pk))
    return referral


def confirmation_token(referral: Referral) -> str:
    return signing.dumps({"r": referral.pk}, salt="ovation.referrals.confirm")


def _send_confirmation(referral_id: int) -> None:
    referral = Referral.objects.select_related("program", "referrer").get(pk=referral_id)
    url = settings.OVATION_BASE_URL + reverse(
        "referrals:confirm", kwargs={"token": confirmation_token(referral)}
    )
    send_mail(
        subject=f"Please confirm your email for {referral.program.name}",
        message=(
            f"Hi {referral.first_name},\n\n{referral.referrer.first_name} invited you. "
            f"Please confirm your email address so we can get in touch:\n\n{url}\n\n"
            "If you did not ask for this, ignore this email."
        ),
        from_email=None,
        recipient_list=[referral.email],
    )


def referral_confirm(*, token: str) -> Referral:
    """Double opt-in: the friend clicked the link in the confirmation email (valid 14 days)."""
    try:
        data = signing.loads(token, salt="ovation.referrals.confirm", max_age=14 * 86400)
    except signing.BadSignature as exc:
        raise ServiceError("this confirmation link is not valid or has expired") from exc
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("program")
            .filter(pk=data["r"])
        ).first()
        if referral is None:
            raise NotFound("this referral no longer exists")
        if referral.confirmed_at is None:
            referral.confirmed_at = timezone.now()
            referral.save(update_fields=["confirmed_at", "updated_at"])
            _event(referral, action="confirmed", source=ReferralEvent.Source.FORM)
            _rewards_settle(referral, actor=None)
    return referral


# --- lifecycle ---------------------------------------------------------------------------------


def _allowed(from_status: str, to_status: str) -> bool:
    if from_status == Status.DISQUALIFIED:
        return False
    if to_status == Status.DISQUALIFIED:
        return True
    if from_status == Status.WON:
        return to_status == Status.LOST  # a refunded or reversed deal
    if from_status == Status.LOST:
        return to_status in OPEN_STATUSES or to_status == Status.WON  # the deal came back
    if to_status == Status.LOST:
        return True
    return STAGE_RANK[to_status] >= STAGE_RANK[from_status]


def _locked(referral_id: int) -> Referral:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("program", "referrer", "referrer__account")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise NotFound("no such referral", field="id")
    return referral


def _parse_amount(amount) -> Decimal | None:
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ServiceError("the amount must be a number", field="amount") from exc
    if value < 0 or value >= Decimal("1e12"):
        raise ServiceError("the amount must be between 0 and 999,999,999,999", field="amount")
    return value.quantize(Decimal("0.01"))


def referral_transition(
    *,
    referral_id: int,
    to_status: str,
    actor=None,
    source: str = ReferralEvent.Source.UI,
    amount=None,
    reason: str = "",
    crm_id: str | None = None,
) -> Referral:
    """Move a referral along lead -> qualified -> opportunity -> won / lost (or disqualify it).

    Skipping stages is allowed (a CRM may jump to won); rewards for every stage reached are
    paid once. won -> lost (a refunded deal) claws back the won rewards; disqualifying claws
    back everything paid. Setting the status it already has is a no-op (amount may change)."""
    if to_status not in Status.values:
        raise ServiceError(
            f"unknown status {to_status!r}; use one of {', '.join(Status.values)}", field="status"
        )
    value = _parse_amount(amount)
    with transaction.atomic():
        referral = _locked(referral_id)
        before = referral.status
        if referral.review == Referral.Review.BLOCKED and to_status != Status.DISQUALIFIED:
            raise Conflict(
                "this referral was blocked by a fraud rule and cannot move on", field="status"
            )
        changed = []
        if value is not None and value != referral.deal_amount:
            referral.deal_amount = value
            changed.append("deal_amount")
        if crm_id and crm_id != referral.crm_id:
            referral.crm_id = crm_id[:64]
            changed.append("crm_id")
        if to_status == before:
            if changed:
                referral.save(update_fields=[*changed, "updated_at"])
                _event(referral, action="updated", source=source, actor=actor, note=reason)
            return referral
        if not _allowed(before, to_status):
            raise Conflict(
                f"a referral cannot move from {Status(before).label.lower()} to "
                f"{Status(to_status).label.lower()}",
                field="status",
            )
        now = timezone.now()
        was_qualified = STAGE_RANK[referral.stage_reached or ""] >= 1
        referral.status = to_status
        referral.status_changed_at = now
        referral.status_reason = (
            reason[:300] if to_status in (Status.LOST, Status.DISQUALIFIED) else ""
        )
        changed += ["status", "status_changed_at", "status_reason"]
        if STAGE_RANK.get(to_status, 0) > STAGE_RANK[referral.stage_reached or ""]:
            referral.stage_reached = to_status
            changed.append("stage_reached")
        if to_status == Status.WON:
            referral.won_at = now
            changed.append("won_at")
            _link_referee(referral, changed)
        if to_status == Status.DISQUALIFIED:
            referral.counts = False
            changed.append("counts")
        referral.save(update_fields=[*changed, "updated_at"])
        _event(
            referral,
            action="status",
            source=source,
            actor=actor,
            from_status=before,
            to_status=to_status,
            note=reason,
        )
        newly_qualified = not was_qualified and STAGE_RANK[referral.stage_reached or ""] >= 1
        _lifecycle_side_effects(
            referral, before=before, actor=actor, newly_qualified=newly_qualified
        )
    return referral


def _link_referee(referral: Referral, changed: list[str]) -> None:
    """Keep the referrer -> referee pair: the friend's contact and account when known."""
    if referral.referee_contact_id is None:
        contact = Contact.objects.filter(email__iexact=referral.email).first()
        if contact is not None:
            referral.referee_contact = contact
            changed.append("referee_contact")
            if referral.referee_account_id is None and contact.account_id:
                referral.referee_account_id = contact.account_id
                changed.append("referee_account")
    if referral.referee_account_id is None:
        domain = referral.email_normalized.rpartition("@")[2]
        account = Account.objects.filter(domain__iexact=domain).first() if domain else None
        if account is not None:
            referral.referee_account = account
            changed.append("referee_account")


def _lifecycle_side_effects(
    referral: Referral, *, before: str, actor, newly_qualified: bool
) -> None:
    status = referral.status
    referrer = referral.referrer
    if newly_qualified:
        activity_record(
            kind="referral.qualified",
            contact=referrer,
            source="referrals",
            data={"referral_id": referral.pk, "program": referral.program.slug},
            external_id=f"referral:{referral.pk}:qualified",
            publish=False,
        )
        event_publish(type="referral.qualified", contact=referrer, data=_event_data(referral))
    if status == Status.WON:
        activity_record(
            kind="referral.converted",
            contact=referrer,
            source="referrals",
            data={
                "referral_id": referral.pk,
                "program": referral.program.slug,
                "amount": str(referral.deal_amount or 0),
            },
            external_id=f"referral:{referral.pk}:won:{int(referral.won_at.timestamp())}",
            publish=False,
        )
        event_publish(type="referral.converted", contact=referrer, data=_event_data(referral))
    if status == Status.DISQUALIFIED:
        _rewards_clawback(referral, stages=REWARD_STAGES, reason="referral disqualified")
        event_publish(type="referral.disqualified", contact=referrer, data=_event_data(referral))
    elif status == Status.LOST and before == Status.WON:
        _rewards_clawback(referral, stages=("won",), reason="deal refunded or reversed")
        event_publish(type="referral.reversed", contact=referrer, data=_event_data(referral))
    else:
        _rewards_settle(referral, actor=actor)


def referral_review(*, referral_id: int, approve: bool, actor=None, note: str = "") -> Referral:
    """A manager's decision on a flagged referral. Approving pays what its stage has earned;
    rejecting disqualifies it (nothing is paid)."""
    with transaction.atomic():
        referral = _locked(referral_id)
        if referral.review not in (Referral.Review.FLAGGED, Referral.Review.REJECTED):
            raise Conflict("only a flagged referral waits for review", field="review")
        before = referral.status
        if approve:
            # Approving a person someone else already counts would break "first valid wins".
            if (
                not referral.counts
                and Referral.objects.filter(
                    email_normalized=referral.email_normalized, counts=True
                ).exists()
            ):
                raise Conflict("another referral of this person already counts", field="review")
            referral.review = Referral.Review.APPROVED
            referral.counts = True
            if referral.status == Status.DISQUALIFIED:
                referral.status = Status.LEAD
            referral.status_reason = ""
        else:
            referral.review = Referral.Review.REJECTED
            referral.counts = False
            referral.status = Status.DISQUALIFIED
            referral.status_reason = (
                note.strip() or "Our team reviewed this referral and could not count it."
            )[:300]
        referral.status_changed_at = timezone.now()
        referral.save(
            update_fields=[
                "review",
                "counts",
                "status",
                "status_reason",
                "status_changed_at",
                "updated_at",
            ]
        )
        _event(
            referral,
            action="approved" if approve else "rejected",
            source=ReferralEvent.Source.UI,
            actor=actor,
            from_status=before,
            to_status=referral.status,
            note=note,
        )
        if approve:
            _rewards_settle(referral, actor=actor)
        else:
            _rewards_clawback(referral, stages=REWARD_STAGES, reason="referral rejected")
    return referral


# --- rewards -----------------------------------------------------------------------------------


def reward_key(referral_id: int, stage: str, recipient: str) -> str:
    return f"referral:{referral_id}:{stage}:{recipient}"


def _cap_reason(program: ReferralProgram, contact: Contact, points: int) -> str:
    since = timezone.now() - timedelta(days=365)
    paid = ReferralReward.objects.filter(
        contact=contact, state=ReferralReward.State.PAID, created_at__gte=since
    )
    count = paid.count()
    total = paid.aggregate(s=Sum("points"))["s"] or 0
    if count + 1 > program.reward_cap_count:
        return f"yearly cap of {program.reward_cap_count} rewards reached"
    if total + points > program.reward_cap_points:
        return f"yearly cap of {program.reward_cap_points:,} points reached ({total:,} so far)"
    return ""


def _rewards_settle(referral: Referral, *, actor) -> None:
    """Pay every reward the referral's stage has earned and not yet paid. Runs inside the
    caller's transaction with the referral row locked; the unique (referral, stage, recipient)
    row and the ledger's idempotency key make a second run a no-op."""
    if not referral.is_payable or not referral.stage_reached:
        return
    reached = STAGE_RANK[referral.stage_reached]
    rules = [
        r
        for r in referral.program.reward_rules.all()
        if STAGE_RANK[r.stage] <= reached and (r.points or r.note)
    ]
    done = set(referral.rewards.values_list("stage", "recipient"))
    for rule in sorted(rules, key=lambda r: (STAGE_RANK[r.stage], r.recipient)):
        if (rule.stage, rule.recipient) in done:
            continue
        if rule.recipient == ReferralRewardRule.Recipient.REFERRER:
            contact = referral.referrer
        else:
            contact = referral.referee_contact
        reward = ReferralReward(
            referral=referral,
            stage=rule.stage,
            recipient=rule.recipient,
            contact=contact,
            points=rule.points if contact is not None else 0,
            note=rule.note,
        )
        if contact is not None and rule.points:
            cap = _cap_reason(referral.program, contact, rule.points)
            if cap:
                reward.state, reward.reason = ReferralReward.State.CAPPED, cap
            else:
                entry, _ = ledger_credit(
                    contact=contact,
                    points=rule.points,
                    idempotency_key=reward_key(referral.pk, rule.stage, rule.recipient),
                    source_type="referral",
                    source_id=referral.pk,
                    reason=f"Referral of {referral.name} {rule.stage}"
                    + (f" ({rule.note})" if rule.note else ""),
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                )
                reward.state, reward.ledger_entry = ReferralReward.State.PAID, entry
        else:
            reward.state = ReferralReward.State.ISSUED
            if rule.recipient == ReferralRewardRule.Recipient.FRIEND and rule.note:
                rid, note = referral.pk, rule.note
                transaction.on_commit(lambda rid=rid, note=note: _send_friend_reward(rid, note))
        with transaction.atomic():
            reward.save()


def _send_friend_reward(referral_id: int, note: str) -> None:
    referral = Referral.objects.select_related("program", "referrer").get(pk=referral_id)
    send_mail(
        subject=f"Your reward from {referral.program.name}",
        message=(
            f"Hi {referral.first_name},\n\nThanks for joining us through "
            f"{referral.referrer.first_name}'s invitation. Your reward: {note}\n"
        ),
        from_email=None,
        recipient_list=[referral.email],
    )


def _rewards_clawback(referral: Referral, *, stages, reason: str) -> None:
    for reward in referral.rewards.filter(stage__in=stages).exclude(
        state__in=[ReferralReward.State.CLAWED_BACK, ReferralReward.State.CAPPED]
    ):
        if reward.ledger_entry_id:
            ledger_reverse(
                entry=LedgerEntry.objects.get(pk=reward.ledger_entry_id),
                reason=f"Referral #{referral.pk}: {reason}",
            )
        reward.state = ReferralReward.State.CLAWED_BACK
        reward.reason = reason
        reward.save(update_fields=["state", "reason", "updated_at"])


# --- CRM webhook -------------------------------------------------------------------------------

WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def crm_webhook_handle(*, body: bytes, timestamp: str, signature: str) -> tuple[int, str]:
    """Inbound stage change from the CRM: `X-Ovation-Timestamp` (unix seconds) and
    `X-Ovation-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the shared
    secret `OVATION_REFERRAL_WEBHOOK_SECRET`. Body: {"id": event id, "referral_id" or
    "crm_id", "status", "amount"?}. Replays of an event id are acknowledged, not re-applied.
    Returns (HTTP status, message)."""
    secret = getattr(settings, "OVATION_REFERRAL_WEBHOOK_SECRET", "")
    if not secret:
        return 503, "the CRM webhook is not configured (OVATION_REFERRAL_WEBHOOK_SECRET)"
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return 400, "missing or malformed timestamp header"
    if abs(time.time() - ts) > WEBHOOK_TOLERANCE_SECONDS:
        return 400, "timestamp outside the 5-minute tolerance"
    expected = webhook_signature(secret, str(ts), body)
    given = (signature or "").removeprefix("sha256=")
    if not hmac.compare_digest(expected, given):
        return 401, "bad signature"
    try:
        payload = json.loads(body)
        event_id = str(payload["id"])[:100]
        to_status = str(payload["status"])
    except (ValueError, KeyError, TypeError):
        return 400, "body must be JSON with id, status and referral_id or crm_id"
    if WebhookReceipt.objects.filter(event_id=event_id).exists():
        return 200, "already processed"
    referral = None
    if payload.get("referral_id") is not None:
        referral = Referral.objects.filter(pk=payload.get("referral_id")).first()
    elif payload.get("crm_id"):
        referral = Referral.objects.filter(crm_id=str(payload["crm_id"])).first()
    if referral is None:
        return 404, "no referral with that referral_id or crm_id"
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(event_id=event_id, referral=referral, result=to_status)
            referral_transition(
                referral_id=referral.pk,
                to_status=to_status,
                source=ReferralEvent.Source.WEBHOOK,
                amount=payload.get("amount"),
                reason=str(payload.get("reason") or "")[:300],
            )
    except IntegrityError:
        return 200, "already processed"
    except ServiceError as exc:
        return exc.status if exc.status != 400 else 422, exc.message
    return 200, "ok"
