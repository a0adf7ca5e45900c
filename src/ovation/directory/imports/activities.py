"""Activities import/export: historical activity (events attended, reviews written...) for
contacts found by email or CRM id.

Idempotent by `external_id`; a row without one gets a derived id (contact, kind, time), so
re-importing a file never duplicates activity. Imported history does not publish domain
events: automations react to things happening now, not to a backfill.

The Activity model lives in the `activity` app, which sits above `directory` in the layer
order (STYLE.md); it is resolved through the app registry instead of an import so the
dependency stays one-way."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db.models.functions import Lower

from ..models import Contact
from .base import (
    GENERIC,
    BatchResult,
    Field,
    FieldError,
    ImportContext,
    Importer,
    Row,
    parsers,
)


def parse_kind(value: str) -> str:
    kind = value.strip().lower()
    if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", kind) or len(kind) > 50:
        raise ValueError(f"{value!r} is not an activity kind (e.g. event.attended)")
    return kind


def activity_model():
    return apps.get_model("activity", "Activity")


ATTRS = ("contact_id", "account_id", "kind", "occurred_at", "points", "source", "note")


class ActivityImporter(Importer):
    kind = "activities"
    label = "Activities"
    description = (
        "Things contacts did (event.attended, review.written...). Contact by email or CRM id; "
        "idempotent by external_id."
    )
    fields = [
        Field("external_id", parse=parsers.text(100), label="External id"),
        Field("contact_email", parse=parsers.email, label="Contact email"),
        Field("contact_crm_id", parse=parsers.text(64), label="Contact CRM id"),
        Field("kind", required=True, parse=parse_kind),
        Field("occurred_at", required=True, parse=parsers.datetime_, label="Occurred at"),
        Field("points", parse=parsers.integer(min_value=-1_000_000, max_value=1_000_000)),
        Field("source", parse=parsers.text(50)),
        Field("note", parse=parsers.text(2000)),
    ]
    presets = {
        "salesforce": {
            "Id": "external_id",
            "Who.Email": "contact_email",
            "WhoId": "contact_crm_id",
            "Type": "kind",
            "ActivityDate": "occurred_at",
            "Subject": "note",
        },
        "hubspot": {
            "Activity ID": "external_id",
            "Contact Email": "contact_email",
            "Associated Contact ID": "contact_crm_id",
            "Activity Type": "kind",
            "Activity date": "occurred_at",
            "Notes": "note",
        },
        GENERIC: {"Email": "contact_email", "Date": "occurred_at", "Type": "kind"},
    }
    batch_size = 2000

    def clean_row(self, row: Row) -> None:
        if "contact_email" not in row.values and "contact_crm_id" not in row.values:
            raise FieldError("contact_email", "contact_email or contact_crm_id is required")

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        Activity = activity_model()
        result = BatchResult()
        crm_ids = {r.values["contact_crm_id"] for r in rows if "contact_crm_id" in r.values}
        emails = {r.values["contact_email"].lower() for r in rows if "contact_email" in r.values}
        by_crm = (
            {
                c: (pk, acc)
                for c, pk, acc in Contact.objects.filter(crm_id__in=crm_ids).values_list(
                    "crm_id", "id", "account_id"
                )
            }
            if crm_ids
            else {}
        )
        by_email = (
            {
                e: (pk, acc)
                for e, pk, acc in Contact.objects.annotate(e=Lower("email"))
                .filter(e__in=emails)
                .values_list("e", "id", "account_id")
            }
            if emails
            else {}
        )

        seen: dict[str, int] = ctx.state.setdefault("seen", {})
        accounts: dict[int, int | None] = {}
        resolved: list[tuple[Row, str, dict[str, Any]]] = []
        for row in rows:
            values = row.values
            contact = None
            if "contact_crm_id" in values:
                contact = by_crm.get(values["contact_crm_id"])
            if contact is None and "contact_email" in values:
                contact = by_email.get(values["contact_email"].lower())
            if contact is None:
                if "contact_email" in values:
                    result.reject(
                        row, "contact_email", f"no contact with email {values['contact_email']!r}"
                    )
                else:
                    result.reject(
                        row,
                        "contact_crm_id",
                        f"no contact with CRM id {values['contact_crm_id']!r}",
                    )
                continue
            accounts[contact[0]] = contact[1]
            # Only the columns given are compared on an update; defaults apply to new rows.
            target = {
                "contact_id": contact[0],
                "kind": values["kind"],
                "occurred_at": values["occurred_at"],
                **{k: values[k] for k in ("points", "source", "note") if k in values},
            }
            external_id = values.get("external_id") or (
                "import:"
                + hashlib.sha1(  # noqa: S324 - an identifier, not security
                    f"{contact[0]}|{target['kind']}|{target['occurred_at'].isoformat()}".encode()
                ).hexdigest()
            )
            if external_id in seen:
                result.reject(
                    row,
                    "external_id" if "external_id" in values else "occurred_at",
                    f"the same activity is also on row {seen[external_id]}",
                )
                continue
            seen[external_id] = row.number
            resolved.append((row, external_id, target))

        # Existing: by external id; rows without one also match an activity with the same
        # contact, kind and time (e.g. one recorded by a module, exported, re-imported).
        existing = {
            a.external_id: a
            for a in Activity.objects.filter(external_id__in=[e for _, e, _ in resolved])
        }
        natural_rows = [(r, t) for r, _, t in resolved if "external_id" not in r.values]
        by_natural = {}
        if natural_rows:
            for a in Activity.objects.filter(
                contact_id__in={t["contact_id"] for _, t in natural_rows},
                occurred_at__in={t["occurred_at"] for _, t in natural_rows},
            ).order_by("id"):
                by_natural.setdefault((a.contact_id, a.kind, a.occurred_at), a)
        new, changed_objs, changed_fields = [], [], set()
        for row, external_id, target in resolved:
            note = target.pop("note", None)
            current = existing.get(external_id)
            if current is None and "external_id" not in row.values:
                current = by_natural.get(
                    (target["contact_id"], target["kind"], target["occurred_at"])
                )
            if current is None:
                new.append(
                    Activity(
                        external_id=external_id,
                        data={"note": note} if note else {},
                        actor=ctx.actor if getattr(ctx.actor, "pk", None) else None,
                        account_id=accounts[target["contact_id"]],
                        **{"points": 0, "source": "import", **target},
                    )
                )
                result.created += 1
                continue
            diff = [k for k, v in target.items() if getattr(current, k) != v]
            if note is not None and note != (current.data or {}).get("note", ""):
                current.data = {**(current.data or {}), "note": note}
                diff.append("data")
            if not diff:
                result.unchanged += 1
                continue
            for k in diff:
                if k != "data":
                    setattr(current, k, target[k])
            changed_fields.update(diff)
            changed_objs.append(current)
            result.updated += 1
        if new:
            Activity.objects.bulk_create(new, batch_size=500)
        if changed_objs:
            Activity.objects.bulk_update(changed_objs, sorted(changed_fields), batch_size=500)
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        queryset = (
            activity_model()
            .objects.filter(contact__isnull=False)
            .order_by("id")
            .values_list(
                "external_id",
                "contact__email",
                "contact__crm_id",
                "kind",
                "occurred_at",
                "points",
                "source",
                "data",
            )
        )
        for ext, email, crm, kind, occurred_at, points, source, data in queryset.iterator(
            chunk_size=2000
        ):
            yield {
                "external_id": ext,
                "contact_email": email,
                "contact_crm_id": crm,
                "kind": kind,
                "occurred_at": occurred_at,
                "points": points,
                "source": source,
                "note": (data or {}).get("note", "") if isinstance(data, dict) else "",
            }


IMPORTER = ActivityImporter()
