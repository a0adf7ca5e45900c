"""The OpenAPI schema is committed at docs/openapi.json so API changes are deliberate.

After changing an endpoint, regenerate it with:
    OVATION_UPDATE_OPENAPI=1 .venv/bin/pytest src/ovation/directory/tests/test_openapi.py
and commit the diff."""

import json
import os
from pathlib import Path

from ovation.api.api import api

SCHEMA_FILE = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"
UPDATE = "OVATION_UPDATE_OPENAPI=1 .venv/bin/pytest src/ovation/directory/tests/test_openapi.py"


def _current() -> str:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_committed_openapi_schema_is_up_to_date():
    current = _current()
    if os.environ.get("OVATION_UPDATE_OPENAPI") == "1":
        SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
        SCHEMA_FILE.write_text(current, encoding="utf-8")
    assert SCHEMA_FILE.exists(), f"docs/openapi.json is missing; create it with:\n  {UPDATE}"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    if committed != current:
        old, new = json.loads(committed), json.loads(current)
        added = sorted(set(new["paths"]) - set(old["paths"]))
        removed = sorted(set(old["paths"]) - set(new["paths"]))
        changed = sorted(
            p for p in set(new["paths"]) & set(old["paths"]) if new["paths"][p] != old["paths"][p]
        )
        raise AssertionError(
            "The API schema changed and docs/openapi.json is stale.\n"
            f"  paths added: {added or 'none'}\n  paths removed: {removed or 'none'}\n"
            f"  paths changed: {changed or 'none (components only)'}\n"
            "If the change is deliberate (and additive), regenerate and commit it:\n"
            f"  {UPDATE}"
        )


def test_directory_paths_promised_by_interfaces_md_are_in_the_schema():
    paths = json.loads(_current())["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/accounts"])
    assert {"get", "patch"} <= set(paths["/api/v1/accounts/{account_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/contacts"])
    assert {"get", "patch"} <= set(paths["/api/v1/contacts/{contact_id}"])
    assert "post" in paths["/api/v1/contacts/bulk"]
    assert "post" in paths["/api/v1/activities"]
    assert "get" in paths["/api/v1/contacts/{contact_id}/activities"]
    assert {"get", "post"} <= set(paths["/api/v1/contacts/{contact_id}/consents"])
