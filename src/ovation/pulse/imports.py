"""`ovation import nps FILE --preset delighted|generic`: historical NPS answers.

Delighted's export columns are Response ID, Email, Score, Comment, Created At. Rows are
idempotent by external id (Delighted's Response ID; without one, a hash of email + time), so
re-importing a file changes nothing. Scores outside 0-10, unknown emails and bad or future
dates are rejected as `row N: field: message`. Imported history opens no follow-ups and
publishes no events (a backfill is not news); stages are recomputed for the imported
contacts after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.directory.imports.base import (
    GENERIC,
    BatchResult,
    Field,
    ImportContext,
    Importer,
    Row,
    parsers,
)
from ovation.directory.models import Contact

from .models import Response
from .rollups import latest_refresh, rollup_apply
from .services import _themes_write, response_record
from .stats import category


def parse_when(value: str) -> dt.datetime:
    """ISO 8601, Delighted's `2024-03-01 09:30:00 -0800` / `... UTC`, or a Unix timestamp."""
    text = value.strip()
    if re.fullmatch(r"\d{9,10}", text):
        return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)
    text = re.sub(r"\s+UTC$", "+00:00", text)
    text = re.sub(r"\s+([+-]\d{2}):?(\d{2})$", r"\1:\2", text)
    when = parsers.datetime_(text)
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValueError(f"{value!r} is in the future")
    if when.year < 2000:
        raise ValueError(f"{value!r} is before 2000")
    return when


class NpsImporter(Importer):
    kind = "nps"
    label = "NPS responses"
    description = (
        "Historical NPS answers (0-10) for contacts found by email; idempotent by external id."
    )
    fields = [
        Field("external_id", parse=parsers.text(max_length=100), label="External id"),
        Field("email", required=True, parse=parsers.email),
        Field("score", required=True, parse=parsers.integer(min_value=0, max_value=10)),
        Field("answered_at", required=True, parse=parse_when, label="Answered at"),
        Field("comment", parse=parsers.text(max_length=4000), help="the reason for the score"),
        Field(
            "improvement",
            parse=parsers.text(max_length=4000),
            help="what would make them recommend us / what stops them",
        ),
    ]
    presets = {
        "delighted": {
            "Response ID": "external_id",
            "Email": "email",
            "Score": "score",
            "Comment": "comment",
            "Created At": "answered_at",
        },
        GENERIC: {
            "Date": "answered_at",
            "Created at": "answered_at",
            "Reason": "comment",
            "What would make you recommend us": "improvement",
            "NPS": "score",
            "Id": "external_id",
        },
    }
    batch_size = 2000

    @staticmethod
    def _external_id(row: Row) -> str:
        given = row.values.get("external_id")
        if given:
            return given
        digest = hashlib.sha256(
            f"{row.values['email'].lower()}|{row.values['answered_at'].isoformat()}".encode()
        ).hexdigest()[:32]
        return f"nps-import:{digest}"

    def write_batch(self, rows: list[Row], ctx: ImportContext) -> BatchResult:
        result = BatchResult()
        emails = {r.values["email"].lower() for r in rows}
        contacts = {
            c.e: c
            for c in Contact.objects.annotate(e=Lower("email"))
            .filter(e__in=emails)
            .only("id", "account_id", "stage", "email")
        }
        keyed = [(row, self._external_id(row)) for row in rows]
        existing = {
            r.external_id: r for r in Response.objects.filter(external_id__in=[k for _, k in keyed])
        }
        seen: dict[str, int] = ctx.state.setdefault("seen", {})
        touched: set[int] = ctx.state.setdefault("contacts", set())
        new: list[Response] = []
        for row, key in keyed:
            contact = contacts.get(row.values["email"].lower())
            if contact is None:
                result.reject(row, "email", f"no contact with email {row.values['email']!r}")
                continue
            if key in seen:
                result.reject(row, "external_id", f"{key!r} already appears on row {seen[key]}")
                continue
            seen[key] = row.number
            score = row.values["score"]
            reason = row.values.get("comment", "")
            improvement = row.values.get("improvement", "")
            found = existing.get(key)
            if found is not None:
                if found.contact_id != contact.pk:
                    result.reject(row, "external_id", "belongs to an answer by another contact")
                elif (found.score, found.reason, found.improvement) == (
                    score,
                    reason or found.reason,
                    improvement or found.improvement,
                ):
                    result.unchanged += 1
                else:
                    response_record(
                        contact=contact,
                        score=score,
                        reason=reason,
                        improvement=improvement,
                        external_id=key,
                        source=Response.Source.IMPORT,
                        open_follow_up=False,
                    )
                    result.updated += 1
                    touched.add(contact.pk)
                continue
            new.append(
                Response(
                    contact_id=contact.pk,
                    account_id=contact.account_id,
                    score=score,
                    reason=reason,
                    improvement=improvement,
                    contact_stage=contact.stage,
                    answered_at=row.values["answered_at"],
                    source=Response.Source.IMPORT,
                    external_id=key,
                )
            )
        if new:
            Response.objects.bulk_create(new)
            created = list(
                Response.objects.filter(external_id__in=[r.external_id for r in new]).order_by()
            )
            rollup_apply(
                [(r.account_id, r.answered_at, r.score, r.contact_stage, 1) for r in created]
            )
            Activity.objects.bulk_create(
                [
                    Activity(
                        contact_id=r.contact_id,
                        account_id=r.account_id,
                        kind=Activity.Kind.NPS_ANSWERED,
                        occurred_at=r.answered_at,
                        source="pulse.import",
                        data={"score": r.score, "response_id": r.pk, "category": category(r.score)},
                        external_id=f"pulse:nps:{r.pk}",
                    )
                    for r in created
                ],
                ignore_conflicts=True,
            )
            for r in created:
                if r.reason or r.improvement:
                    _themes_write(r)
            for contact_id in {r.contact_id for r in created}:
                latest_refresh(contact_id)
            touched.update(r.contact_id for r in created)
            result.created += len(created)
        ids = sorted({r.contact_id for r in new})
        if ids and not ctx.dry_run:
            from .tasks import contacts_stage_sync_task

            transaction.on_commit(lambda: contacts_stage_sync_task.enqueue(contact_ids=ids))
        return result

    def export_rows(self) -> Iterator[dict[str, Any]]:
        qs = (
            Response.objects.select_related("contact")
            .order_by("answered_at", "id")
            .iterator(chunk_size=2000)
        )
        for r in qs:
            yield {
                "external_id": r.external_id or f"ovation:{r.pk}",
                "email": r.contact.email,
                "score": r.score,
                "answered_at": r.answered_at,
                "comment": r.reason,
                "improvement": r.improvement,
            }


IMPORTER = NpsImporter()
