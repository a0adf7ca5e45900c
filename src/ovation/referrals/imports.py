"""`ovation import referrals FILE`: stage changes from a CRM export (one row per referral:
its Ovation id or CRM id, the new status, optionally the deal amount). Each change goes
through `referral_transition`, so rewards are paid once and clawed back exactly as in the UI.
`ovation export referrals` writes the referrals with their current stage."""

from ovation.core.errors import ServiceError
from ovation.directory.imports.base import BatchResult, Field, FieldError, Importer, parsers

from .models import Referral, ReferralEvent
from .services import referral_transition


class ReferralImporter(Importer):
    kind = "referrals"
    label = "Referral stage changes"
    description = "Move referred leads along the funnel from a CRM export."
    batch_size = 500
    fields = [
        Field("referral_id", parse=parsers.integer(min_value=1), label="Referral id"),
        Field("crm_id", parse=parsers.text(max_length=64), label="CRM id"),
        Field("status", required=True, parse=parsers.choice(Referral.Status.choices)),
        Field("amount", parse=parsers.decimal(min_value=0), label="Deal amount"),
        Field("reason", parse=parsers.text(max_length=300)),
        Field("email", parse=parsers.email, help="export only"),
        Field("company", parse=parsers.text(max_length=200), help="export only"),
        Field("referrer_email", parse=parsers.email, help="export only"),
        Field("program", parse=parsers.text(max_length=60), help="export only"),
    ]
    presets = {
        "salesforce": {
            "Referral ID": "referral_id",
            "Opportunity ID": "crm_id",
            "Stage": "status",
            "Amount": "amount",
            "Loss Reason": "reason",
        },
        "hubspot": {
            "Referral ID": "referral_id",
            "Deal ID": "crm_id",
            "Deal Stage": "status",
            "Amount": "amount",
            "Closed Lost Reason": "reason",
        },
    }

    def clean_row(self, row):
        if "referral_id" not in row.values and "crm_id" not in row.values:
            raise FieldError("referral_id", "give the referral id or the CRM id")

    def write_batch(self, rows, ctx):
        result = BatchResult()
        ids = {r.values["referral_id"] for r in rows if "referral_id" in r.values}
        crm_ids = {r.values["crm_id"] for r in rows if "crm_id" in r.values}
        by_id = {r.pk: r for r in Referral.objects.filter(pk__in=ids)}
        by_crm = {r.crm_id: r for r in Referral.objects.filter(crm_id__in=crm_ids)}
        seen = ctx.state.setdefault("seen", set())
        for row in rows:
            values = row.values
            if "referral_id" in values:
                referral, key_field = by_id.get(values["referral_id"]), "referral_id"
            else:
                referral, key_field = by_crm.get(values["crm_id"]), "crm_id"
            if referral is None:
                result.reject(row, key_field, f"no referral with {key_field} {values[key_field]}")
                continue
            if referral.pk in seen:
                result.reject(row, key_field, "this referral appears twice in the file")
                continue
            seen.add(referral.pk)
            amount = values.get("amount")
            new_crm = values.get("crm_id") if key_field == "referral_id" else None
            if (
                values["status"] == referral.status
                and (amount is None or amount == referral.deal_amount)
                and (new_crm is None or new_crm == referral.crm_id)
            ):
                result.unchanged += 1
                continue
            try:
                referral_transition(
                    referral_id=referral.pk,
                    to_status=values["status"],
                    amount=amount,
                    reason=values.get("reason", ""),
                    crm_id=new_crm,
                    actor=ctx.actor,
                    source=ReferralEvent.Source.CSV,
                )
            except ServiceError as exc:
                field = exc.field if exc.field in ("status", "amount", "crm_id") else "status"
                result.reject(row, field, exc.message)
                continue
            result.updated += 1
        return result

    def export_rows(self):
        qs = Referral.objects.select_related("referrer", "program").order_by("id")
        for r in qs.iterator(chunk_size=2000):
            yield {
                "referral_id": r.pk,
                "crm_id": r.crm_id or "",
                "status": r.status,
                "amount": r.deal_amount,
                "reason": r.status_reason,
                "email": r.email,
                "company": r.company,
                "referrer_email": r.referrer.email,
                "program": r.program.slug,
            }


IMPORTER = ReferralImporter()
