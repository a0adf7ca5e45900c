"""The permission matrix: every URL pattern and API operation x role -> allow / deny.

`docs/permissions.md` holds ONE markdown table; `tests/security/test_permission_matrix.py`
parses it, walks Django's URL resolver and the OpenAPI schema, fails on any route without a
row, and requests every row as every role.

Refresh the table when modules land (prints rows for routes that have none, with a default
derived from the view's `required_permission` / `advocate_only` / `require_perm(...)` calls):

    .venv/bin/python tests/security/permission_matrix.py --missing   # print the missing rows
    .venv/bin/python tests/security/permission_matrix.py --stale     # rows whose route is gone
    .venv/bin/python tests/security/permission_matrix.py --write     # add missing, drop stale

then review the suggested cells (a suggestion is what the code does today, not what it should do)
and run `.venv/bin/pytest tests/security/test_permission_matrix.py -q`.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "permissions.md"

ROLES = [
    "anonymous",
    "advocate",
    "sales",
    "csm",
    "manager",
    "admin",
    "executive",
    "read-token",
    "write-token",
]
SESSION_ROLES = ROLES[:7]
TOKEN_ROLES = ROLES[7:]
CELLS = {"allow", "deny", "-"}

# URL prefixes that are not Ovation's own routes and so have no row.
SKIPPED_PREFIXES = (
    "django-admin/",  # Django's admin site (superusers only, its own permission system)
    "auth/",  # allauth's own login/signup/password/MFA pages
    "static/",  # static files (whitenoise)
    "media/",  # uploaded files, served only with DEBUG (runserver)
)
# Under api/v1/ every operation has its own "METHOD /api/v1/..." row taken from the OpenAPI
# schema; these three URL patterns are not operations and get page rows.
API_PREFIX = "/api/v1/"
API_PAGES = {"/api/v1/", "/api/v1/openapi.json", "/api/v1/docs"}
LOGIN_PAGES = ("/auth/login/", "/hub/login/", "/accounts/login/")
# Sign-in and sign-out steps: for these a redirect to a login page is the flow, not a refusal.
FLOW_PAGES = (*LOGIN_PAGES, "/hub/logout/")

HEADER = "| route | " + " | ".join(ROLES) + " | notes |\n|---|" + "---|" * len(ROLES) + "---|\n"
TABLE_START = "<!-- permission-matrix:start -->"
TABLE_END = "<!-- permission-matrix:end -->"


def setup_django() -> None:
    for path in (str(ROOT), str(ROOT / "src")):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


@dataclass
class Route:
    """One thing to check: a page (URL pattern) or an API operation."""

    method: str
    path: str  # "/accounts/<int:account_id>/" or "/api/v1/accounts/{account_id}"
    view: object = None
    is_api: bool = False

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Row:
    method: str
    path: str
    cells: dict[str, str]
    notes: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith(API_PREFIX) and self.path not in API_PAGES


@dataclass
class Matrix:
    rows: dict[str, Row] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


# --- the table -------------------------------------------------------------------------------


def parse_table(text: str) -> Matrix:
    """Rows of the table between the start/end markers; malformed rows become errors."""
    matrix = Matrix()
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == TABLE_START:
            inside = True
            continue
        if line.strip() == TABLE_END:
            break
        if not inside or not line.startswith("|"):
            continue
        parts = [p.strip() for p in line.strip().strip("|").split("|")]
        if parts[0] in {"route", ""} or set(parts[0]) <= {"-", ":"}:
            continue
        if len(parts) != len(ROLES) + 2:
            matrix.errors.append(
                f"line {number}: expected {len(ROLES) + 2} cells, got {len(parts)}"
            )
            continue
        route = parts[0].strip("`")
        method, _, path = route.partition(" ")
        cells = dict(zip(ROLES, parts[1:-1], strict=True))
        bad = {role: cell for role, cell in cells.items() if cell not in CELLS}
        if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or not path.startswith("/"):
            matrix.errors.append(f"line {number}: route must be 'METHOD /path', got {route!r}")
            continue
        if bad:
            matrix.errors.append(f"line {number}: cells must be allow/deny/-: {bad}")
            continue
        row = Row(method, path, cells, parts[-1], number)
        if row.key in matrix.rows:
            matrix.errors.append(f"line {number}: duplicate row {row.key}")
        matrix.rows[row.key] = row
    return matrix


def load_matrix() -> Matrix:
    return parse_table(DOC.read_text(encoding="utf-8"))


def format_row(row: Row) -> str:
    cells = " | ".join(row.cells[r] for r in ROLES)
    return f"| `{row.key}` | {cells} | {row.notes} |"


# --- what exists ---------------------------------------------------------------------------


def url_patterns() -> list[Route]:
    """Every page URL pattern (API operations excepted), as GET routes by default."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[Route] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                if text.startswith(SKIPPED_PREFIXES):
                    continue
                path = "/" + text.lstrip("^").rstrip("$")
                if path.startswith(API_PREFIX) and path not in API_PAGES:
                    continue  # covered by the OpenAPI operations
                found.append(Route("GET", path, pattern.callback))

    walk(get_resolver().url_patterns, "")
    unique: dict[str, Route] = {}
    for route in found:
        unique.setdefault(route.path, route)
    return list(unique.values())


def api_operations() -> list[Route]:
    """Every operation in /api/v1/openapi.json, with its view function when it can be found."""
    from ovation.api.api import api

    schema = api.get_openapi_schema()
    views = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                views[operation.operation_id or ""] = operation.view_func
                views[api.get_openapi_operation_id(operation)] = operation.view_func
    routes = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            view = views.get(operation.get("operationId", ""))
            routes.append(Route(method.upper(), path, view, is_api=True))
    return routes


def missing_and_stale(matrix: Matrix) -> tuple[list[Route], list[Row]]:
    pages = url_patterns()
    operations = api_operations()
    page_paths_with_rows = {row.path for row in matrix.rows.values() if not row.is_api}
    missing = [r for r in pages if r.path not in page_paths_with_rows]
    missing += [r for r in operations if r.key not in matrix.rows]
    existing_pages = {r.path for r in pages}
    existing_ops = {r.key for r in operations}
    stale = [
        row
        for row in matrix.rows.values()
        if (row.is_api and row.key not in existing_ops)
        or (not row.is_api and row.path not in existing_pages)
    ]
    return missing, stale


# --- suggested defaults --------------------------------------------------------------------


def _role_has_perm(role: str, perm: str) -> bool:
    import rules

    from ovation.users.models import User

    if role == "anonymous":
        return False
    return bool(rules.has_perm(perm, User(role=role, is_active=True)))


def api_requirements(view) -> tuple[list[str], bool]:
    """The permissions `require_perm(request, PERM, write=...)` asks for in an API view."""
    if view is None:
        return [], False
    try:
        source = textwrap.dedent(inspect.getsource(view))
    except (OSError, TypeError):
        return [], False
    module = sys.modules.get(view.__module__)
    perms, write = [], False
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "require_perm"):
            continue
        if len(node.args) >= 2:
            arg = node.args[1]
            if isinstance(arg, ast.Constant):
                perms.append(arg.value)
            elif isinstance(arg, ast.Name) and module is not None:
                perms.append(str(getattr(module, arg.id, arg.id)))
        for keyword in node.keywords:
            if keyword.arg == "write" and getattr(keyword.value, "value", False) is True:
                write = True
    return perms, write


def suggest(route: Route) -> Row:
    """What the code does today, as a row to review."""
    cells: dict[str, str]
    view = route.view
    if route.is_api:
        perms, write = api_requirements(view)
        auth_none = "auth=None" in _router_source(view)
        if perms:
            cells = {
                r: "allow" if all(_role_has_perm(r, p) for p in perms) else "deny"
                for r in SESSION_ROLES
            }
            cells["advocate"] = "deny"
            admin = all(_role_has_perm("admin", p) for p in perms)
            cells["read-token"] = "allow" if admin and not write else "deny"
            cells["write-token"] = "allow" if admin else "deny"
            note = f"{', '.join(sorted(set(perms)))}{' (write scope)' if write else ''}"
        elif auth_none:
            cells = dict.fromkeys(ROLES, "deny")
            note = "REVIEW: no API auth (auth=None) and no require_perm"
        else:
            cells = dict.fromkeys(ROLES, "allow")
            cells["anonymous"] = "deny"
            note = "REVIEW: authenticated callers only, no require_perm found"
        return Row(route.method, route.path, cells, note)
    method = "POST" if _post_only(view) else "GET"
    route = Route(method, route.path, view)
    perm = getattr(view, "required_permission", None)
    if perm:
        cells = {r: "allow" if _role_has_perm(r, perm) else "deny" for r in SESSION_ROLES}
        note = perm
    elif getattr(view, "advocate_only", False):
        cells = dict.fromkeys(SESSION_ROLES, "deny")
        cells["advocate"] = "allow"
        note = "advocate_required"
    else:
        cells = dict.fromkeys(SESSION_ROLES, "allow")
        note = "REVIEW: public (no permission_required / advocate_required)"
    cells.update(dict.fromkeys(TOKEN_ROLES, "-"))
    return Row(route.method, route.path, cells, note)


def _post_only(view) -> bool:
    """True when the view (or a decorator on it) accepts POST only (require_POST)."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError, ValueError):
        return False
    head = source.split("def ", 1)[0]
    return "require_POST" in head or 'require_http_methods(["POST"])' in head


def _router_source(view) -> str:
    if view is None:
        return ""
    try:
        lines, start = inspect.getsourcelines(view)
        module_lines = inspect.getsource(sys.modules[view.__module__]).splitlines()
        return "\n".join(module_lines[max(0, start - 6) : start + 1])
    except (OSError, TypeError, KeyError):
        return ""


# --- filling in a route to request it ------------------------------------------------------

NONEXISTENT_ID = "999999"
PLACEHOLDER = "no-such-thing"
NIL_UUID = "00000000-0000-4000-8000-000000000000"


def concrete_path(path: str) -> str:
    """Path parameters filled with ids/strings that match nothing."""

    def converter(match: re.Match) -> str:
        kind = match.group(1) or "str"
        if kind == "int":
            return NONEXISTENT_ID
        if kind == "uuid":
            return NIL_UUID
        return PLACEHOLDER

    path = re.sub(r"<(?:(\w+):)?\w+>", converter, path)
    return re.sub(r"\{\w+\}", NONEXISTENT_ID, path)


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema or "oneOf" in schema:
        options = [s for s in schema.get("anyOf", schema.get("oneOf")) if s.get("type") != "null"]
        merged = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        return {**_resolve(options[0], components), **merged} if options else {"type": "null"}
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part, components))
        return merged
    return schema


def example_value(schema: dict, components: dict, name: str = ""):
    """A minimal value that passes validation: required fields only, ids that match nothing."""
    schema = _resolve(schema, components)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            key: example_value(props[key], components, key)
            for key in schema.get("required", [])
            if key in props
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        return [example_value(schema.get("items", {}), components, name) for _ in range(count)]
    if kind == "integer" or kind == "number":
        if name == "id" or name.endswith("_id"):
            return int(NONEXISTENT_ID)
        low, high = schema.get("minimum", 1), schema.get("maximum", 10**9)
        return max(min(1, high), low) if low > 0 or high < 1 else 1
    if kind == "boolean":
        return False
    fmt = schema.get("format", "")
    if fmt == "email" or "email" in name:
        return "nobody@example.test"
    if fmt == "date":
        return "2025-01-01"
    if fmt == "date-time":
        return "2025-01-01T00:00:00Z"
    if fmt in ("uri", "url"):
        return "https://example.test/"
    if fmt == "uuid":
        return NIL_UUID
    return "x" * max(1, schema.get("minLength", 1))


def api_request_parts(method: str, path: str) -> tuple[dict, dict, dict | None]:
    """(query, headers, json body) with every required parameter filled, from the schema."""
    from ovation.api.api import api

    schema = _schema_cache.get("schema") or _schema_cache.setdefault(
        "schema", api.get_openapi_schema()
    )
    components = schema.get("components", {}).get("schemas", {})
    operation = schema["paths"][path][method.lower()]
    query, headers = {}, {}
    for param in operation.get("parameters", []):
        if not param.get("required") or param["in"] == "path":
            continue
        value = example_value(param.get("schema", {}), components, param["name"])
        if param["in"] == "query":
            query[param["name"]] = value
        elif param["in"] == "header":
            headers[param["name"]] = str(value)
    body = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example_value(content["application/json"]["schema"], components)
    elif content:
        body = {}
    return query, headers, body


_schema_cache: dict = {}


def is_login_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    location = response.get("Location", "")
    return any(page in location for page in LOGIN_PAGES)


def verdict(response, path: str = "") -> str:
    """'deny', 'allow', 'deny-or-missing' (404) or 'error' (a 5xx) for one response.

    503 is how an unconfigured inbound webhook refuses (see its row): a refusal, not a crash.
    On the login pages themselves a redirect to the login page is the flow, not a refusal."""
    status = response.status_code
    if status == 503:
        return "deny"
    if status >= 500:
        return "error"
    if is_login_redirect(response) and path.startswith(FLOW_PAGES):
        return "allow"
    if status in (401, 403, 404) or is_login_redirect(response):
        return "deny" if status != 404 else "deny-or-missing"
    return "allow"


# --- command line --------------------------------------------------------------------------


def write_table(matrix: Matrix, missing: list[Route], stale: list[Row]) -> None:
    stale_keys = {row.key for row in stale}
    rows = [row for row in matrix.rows.values() if row.key not in stale_keys]
    rows += [suggest(route) for route in missing]
    rows.sort(key=lambda r: (r.is_api, r.path, r.method))
    table = HEADER + "\n".join(format_row(r) for r in rows) + "\n"
    text = DOC.read_text(encoding="utf-8")
    start = text.index(TABLE_START) + len(TABLE_START)
    end = text.index(TABLE_END)
    DOC.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missing", action="store_true", help="print rows for routes with none")
    parser.add_argument("--stale", action="store_true", help="print rows whose route is gone")
    parser.add_argument("--write", action="store_true", help="add missing rows, drop stale ones")
    args = parser.parse_args(argv)
    setup_django()
    matrix = load_matrix()
    for error in matrix.errors:
        print(f"docs/permissions.md {error}", file=sys.stderr)
    missing, stale = missing_and_stale(matrix)
    if args.write:
        write_table(matrix, missing, stale)
        print(f"added {len(missing)} rows, removed {len(stale)} stale rows in {DOC}")
        return 0
    if args.stale:
        for row in stale:
            print(format_row(row))
    if args.missing or not args.stale:
        for route in missing:
            print(format_row(suggest(route)))
    return 1 if (missing or stale or matrix.errors) else 0


if __name__ == "__main__":
    sys.exit(main())
