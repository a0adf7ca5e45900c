"""CSV imports for references, on the shared import engine (`ovation import KIND FILE`):

* `opportunities` (IMPORTER): CRM opportunities upserted by CRM id, with their outcome (won /
  lost, amount won). Opportunities without a reference count too: they are the "without a
  reference" side of the win rate. A won or lost outcome closes completed reference requests.
* `asks` (ASKS_IMPORTER): asks made outside Ovation (a rep's own email, a Slack DM), so the
  shared ask budget knows about them. Never refused by the budget (they already happened);
  idempotent by (contact, activity type, asked_at)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from ovation.directory.imports.base import (
    GENERIC,
    BatchResult,
    Field,
    FieldError,
    ImportContext,
    Importer,
    Row,
    parsers,
)
from ovation.directory.models import Contact

from .budget import ASKS_VERSION_KEY, bump_version
from .models import ActivityType, Ask, Opportunity, ReferenceRequest

OUTCOMES = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]
_OUTCOME_ALIASES = {"closed won": "won", "closed lost": "lost", "closedwon": "won"}


def parse_outcome(value: str) -> str:
    v = value.strip().lower()
    v = _OUTCOME_ALIASES.get(v, v)
    if v not in {"open", "won", "lost"}:
        raise ValueError(f"{value!r} is not an outcome (open, won or lost)")
    return v


class OpportunityImporter(Importer):
    kind = "opportunities"
    label = "Opportunities"
    description = "CRM opportunities and their outcomes, upserted by CRM id."
    fields = [
        Field("crm_id", required=True, parse=parsers.text(64), label="CRM id"),
        Field("name", parse=parsers.text(200)),
        Field("amount", parse=parsers.decimal(min_value=0)),
        Field("stage", parse=parsers.text(60)),
        Field("close_date", parse=parsers.date, label="Close date"),
        Field("outcome", parse=parse_outcome),
        Field("won_amount", parse=parsers.decimal(min_value=0), label="Won amount"),
    ]
    presets = {
        "salesforce": {
            "Id": "crm_id",
            "Opportunity ID": "crm_id",
            "Name": "name",
            "Opportunity Name": "name",
            "Amount": "amount",
            "StageName": "stage",
            "Stage": "stage",
            "CloseDate": "close_date",
            "Close Date": "close_date",
        },
        "hubspot": {
            "Record ID": "crm_id",
            "Deal Name": "name",
            "Amount": "amount",
            "Deal Stage": "stage",
            "Close Date": "close_date",
        },
        GENERIC: {"Opportunity": "name", "Status": "outcome"},
    }

    def clean_row(self, row: Row) -> None:
        v = row.values
        if "outcome" not in v and "stage" in v:
            stage = v["stage"].lower()
            if "won" in stage:
                v["outcome"] = "won"
            elif "lost" in stage:
                v["outcome"] = "lost"
        if "won_amount" in v and v.get("outcome") not in (None, "won"):
            raise FieldError("won_amount", "a won amount needs outcome won")

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        result = BatchResult()
        seen: dict[str, int] = ctx.state.setdefault("seen", {})
        existing = {
            o.crm_id: o
            for o in Opportunity.objects.filter(crm_id__in=[r.values["crm_id"] for r in rows])
        }
        new, changed, fields, closing = [], [], set(), []
        today = timezone.localdate()
        for row in rows:
            v = row.values
            if v["crm_id"] in seen:
                result.reject(row, "crm_id", f"the same CRM id is also on row {seen[v['crm_id']]}")
                continue
            seen[v["crm_id"]] = row.number
            target: dict[str, Any] = {
                k: v[k] for k in ("name", "amount", "stage", "close_date", "outcome") if k in v
            }
            outcome = v.get("outcome")
            if outcome == "won":
                target["won_amount"] = v.get("won_amount", v.get("amount"))
            elif outcome in ("open", "lost"):
                target["won_amount"] = None
            current = existing.get(v["crm_id"])
            if current is None:
                if "name" not in v:
                    result.reject(row, "name", "a new opportunity needs a name")
                    continue
                if outcome == "won" and target.get("won_amount") is None:
                    target["won_amount"] = target.get("amount", 0)
                if outcome in ("won", "lost"):
                    target["closed_at"] = v.get("close_date") or today
                new.append(Opportunity(crm_id=v["crm_id"], **target))
                result.created += 1
                continue
            if outcome == "won" and target.get("won_amount") is None:
                target["won_amount"] = current.amount
            diff = [k for k, val in target.items() if getattr(current, k) != val]
            if not diff:
                result.unchanged += 1
                continue
            if "outcome" in diff and outcome in ("won", "lost"):
                current.closed_at = v.get("close_date") or today
                diff.append("closed_at")
                closing.append(current)
            for k in diff:
                if k != "closed_at":
                    setattr(current, k, target[k])
            fields.update(diff)
            changed.append(current)
            result.updated += 1
        if new:
            Opportunity.objects.bulk_create(new)
        if changed:
            for obj in changed:
                obj.updated_at = timezone.now()
            Opportunity.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
        if closing:
            ReferenceRequest.objects.filter(
                opportunity__in=closing, status=ReferenceRequest.Status.COMPLETED
            ).update(status=ReferenceRequest.Status.CLOSED, updated_at=timezone.now())
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        for o in Opportunity.objects.order_by("id").iterator(chunk_size=2000):
            yield {
                "crm_id": o.crm_id or "",
                "name": o.name,
                "amount": o.amount,
                "stage": o.stage,
                "close_date": o.close_date,
                "outcome": o.outcome,
                "won_amount": o.won_amount,
            }


class AsksImporter(Importer):
    kind = "asks"
    label = "Asks made outside Ovation"
    description = (
        "Asks of contacts made by email, phone or chat, so the fatigue budget counts them."
    )
    fields = [
        Field("contact_email", parse=parsers.email, label="Contact email"),
        Field("contact_crm_id", parse=parsers.text(64), label="Contact CRM id"),
        Field("activity_type", required=True, parse=parsers.choice(ActivityType.choices)),
        Field("asked_at", required=True, parse=parsers.datetime_, label="Asked at"),
        Field("status", parse=parsers.choice(Ask.Status.choices)),
        Field("note", parse=parsers.text(500)),
    ]
    presets = {GENERIC: {"Email": "contact_email", "Date": "asked_at", "Type": "activity_type"}}
    batch_size = 2000

    def clean_row(self, row: Row) -> None:
        if "contact_email" not in row.values and "contact_crm_id" not in row.values:
            raise FieldError("contact_email", "contact_email or contact_crm_id is required")
        if row.values["asked_at"] > timezone.now():
            raise FieldError("asked_at", "an ask cannot be in the future")

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        result = BatchResult()
        emails = {r.values["contact_email"].lower() for r in rows if "contact_email" in r.values}
        crm_ids = {r.values["contact_crm_id"] for r in rows if "contact_crm_id" in r.values}
        by_email = {
            e: (pk, acc)
            for e, pk, acc in Contact.objects.annotate(e=Lower("email"))
            .filter(e__in=emails)
            .values_list("e", "id", "account_id")
        }
        by_crm = {
            c: (pk, acc)
            for c, pk, acc in Contact.objects.filter(crm_id__in=crm_ids).values_list(
                "crm_id", "id", "account_id"
            )
        }
        resolved = []
        for row in rows:
            v = row.values
            contact = by_crm.get(v.get("contact_crm_id")) or by_email.get(
                (v.get("contact_email") or "").lower()
            )
            if contact is None:
                if "contact_email" in v:
                    result.reject(
                        row, "contact_email", f"no contact with email {v['contact_email']!r}"
                    )
                else:
                    result.reject(
                        row, "contact_crm_id", f"no contact with CRM id {v['contact_crm_id']!r}"
                    )
                continue
            resolved.append((row, contact))
        existing = set(
            Ask.objects.filter(contact_id__in={c[0] for _, c in resolved}).values_list(
                "contact_id", "activity_type", "asked_at"
            )
        )
        seen: set = ctx.state.setdefault("seen", set())
        new = []
        actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
        for row, (contact_id, account_id) in resolved:
            v = row.values
            key = (contact_id, v["activity_type"], v["asked_at"])
            if key in existing or key in seen:
                result.unchanged += 1
                continue
            seen.add(key)
            status = v.get("status", Ask.Status.ASKED)
            new.append(
                Ask(
                    contact_id=contact_id,
                    account_id=account_id,
                    channel=Ask.Channel.MANUAL,
                    activity_type=v["activity_type"],
                    asked_at=v["asked_at"],
                    status=status,
                    responded_at=v["asked_at"] if status != Ask.Status.ASKED else None,
                    logged_outside=True,
                    note=v.get("note", ""),
                    source_type="import",
                    actor=actor,
                )
            )
            result.created += 1
        if new:
            Ask.objects.bulk_create(new)
            transaction.on_commit(lambda: bump_version(ASKS_VERSION_KEY))
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        for a in Ask.objects.select_related("contact").order_by("id").iterator(chunk_size=2000):
            yield {
                "contact_email": a.contact.email,
                "contact_crm_id": a.contact.crm_id or "",
                "activity_type": a.activity_type,
                "asked_at": a.asked_at,
                "status": a.status,
                "note": a.note,
            }


IMPORTER = OpportunityImporter()
ASKS_IMPORTER = AsksImporter()
