"""A person's data, out or gone (GDPR articles 15, 17 and 20).

Each app that holds personal data has a `gdpr.py` with two functions:
- `export(contact) -> dict[str, list[dict]]`: section name -> rows (JSON-serialisable values);
- `erase(contact, actor) -> None`: delete or anonymise that app's personal data for the contact,
  keeping totals consistent (ledger entries stay; they carry no personal data beyond the contact).
Apps are visited in settings.OVATION_APPS order for export and in reverse for erasure, so the
directory's contact row is anonymised last."""

import csv
import importlib
import io
import json
import zipfile
from datetime import UTC, datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction


def _modules():
    for app in settings.OVATION_APPS:
        try:
            yield importlib.import_module(f"{app}.gdpr")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.gdpr":
                raise


def gdpr_collect(*, contact) -> dict[str, list[dict]]:
    data: dict[str, list[dict]] = {}
    for module in _modules():
        for section, rows in module.export(contact).items():
            data[section] = json.loads(json.dumps(list(rows), cls=DjangoJSONEncoder))
    return data


def gdpr_export_zip(*, contact) -> bytes:
    """A zip with `data.json` (everything) and one CSV per section."""
    data = gdpr_collect(contact=contact)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json",
            json.dumps(
                {
                    "exported_at": datetime.now(UTC).isoformat(),
                    "contact_id": contact.pk,
                    "data": data,
                },
                indent=2,
                ensure_ascii=False,
            ),
        )
        for section, rows in data.items():
            out = io.StringIO()
            columns = sorted({key for row in rows for key in row})
            writer = csv.DictWriter(out, fieldnames=columns or ["empty"])
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()}
                )
            archive.writestr(f"{section}.csv", out.getvalue())
    return buffer.getvalue()


@transaction.atomic
def gdpr_erase(*, contact, actor=None) -> None:
    for module in reversed(list(_modules())):
        module.erase(contact, actor)
