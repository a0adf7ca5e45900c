"""docs/permissions.md is the contract: every route has a row, and every row holds for every role.

Denied means 401, 403, 404 or a redirect to a login page; allowed means none of these (404
for the nonexistent object, 400/405/422 for an empty body are fine) and never a 5xx. Path
parameters are filled with ids that match nothing, which is meaningful because permission
checks run before object lookups in this codebase (rows noting "object first" are the
exceptions). Refresh the table with `python tests/security/permission_matrix.py --write`.
"""

import json
from urllib.parse import urlencode

import pytest

from tests.security.permission_matrix import (
    DOC,
    ROLES,
    SKIPPED_PREFIXES,
    api_request_parts,
    concrete_path,
    format_row,
    load_matrix,
    missing_and_stale,
    suggest,
    verdict,
)

MATRIX = load_matrix()
HOW_TO_FIX = (
    "Run `.venv/bin/python tests/security/permission_matrix.py --write` to add rows for new "
    "routes (and drop rows for removed ones) in docs/permissions.md, then review the suggested "
    "cells: they describe what the code does today, which may not be what it should do."
)


def test_table_parses():
    assert MATRIX.errors == [], f"{DOC}: {MATRIX.errors}"
    assert len(MATRIX.rows) > 100


@pytest.mark.django_db
def test_every_route_has_a_row_and_every_row_a_route():
    missing, stale = missing_and_stale(MATRIX)
    message = []
    if missing:
        message.append(f"{len(missing)} route(s) without a row in {DOC}:")
        message += [format_row(suggest(route)) for route in missing]
    if stale:
        message.append(f"{len(stale)} row(s) for routes that no longer exist:")
        message += [format_row(row) for row in stale]
    assert not message, "\n".join([*message, HOW_TO_FIX])


def test_skipped_prefixes_are_only_third_party():
    assert SKIPPED_PREFIXES == ("django-admin/", "auth/", "static/", "media/")


def _request(client, row):
    """API operations get every required parameter and a minimal valid body, so that a denied
    caller meets the permission check and not input validation (ninja validates first)."""
    url = concrete_path(row.path)
    if row.is_api:
        query, headers, body = api_request_parts(row.method, row.path)
        if query:
            url += "?" + urlencode(query)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if row.method == "GET":
            return client.get(url, **extra)
        payload = json.dumps(body if body is not None else {})
        return client.generic(row.method, url, payload, "application/json", **extra)
    if row.method == "GET":
        return client.get(url)
    return client.post(url, {})


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(MATRIX.rows))
def test_row_holds_for_every_role(key, actors, settings):
    # The failed-jobs page works with the database task backend only (tests use immediate).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    row = MATRIX.rows[key]
    wrong = []
    for role in ROLES:
        expected = row.cells[role]
        if expected == "-":
            continue
        client = actors.client(role)
        client.raise_request_exception = False
        response = _request(client, row)
        got = verdict(response, row.path)
        where = f"{role}: {response.status_code} {response.get('Location', '')}".rstrip()
        if got == "error":
            wrong.append(f"{where} (server error)")
        elif expected == "allow" and got == "deny":
            wrong.append(f"{where}, expected allow")
        elif expected == "deny" and got == "allow":
            wrong.append(f"{where}, expected deny")
    assert not wrong, f"{key} (docs/permissions.md line {row.line}): " + "; ".join(wrong)
