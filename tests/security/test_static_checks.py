"""Static checks in CI: bandit with zero unreviewed findings, and three local rules written as
AST checks (no semgrep in this environment; the rules are small enough to own here):

1. no SQL built with %, +, .format() or f-strings passed to cursor.execute/executemany, .raw(),
   RawSQL() or .extra() outside a reviewed allowlist;
2. no `<UserScopedModel>.objects.get(` in view modules (use an access_<x>() helper or a selector
   that scopes by the actor and gives the same 404 for missing and forbidden);
3. no FloatField for points, amounts, balances or money.

A new finding fails with the file and line; review it, then either fix the code or add it to
the matching allowlist below with the reason."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "ovation"

# --- bandit ------------------------------------------------------------------------------------

# (file, test id) -> (how many, why it is safe). Reviewed by hand; see docs/security.md.
BANDIT_REVIEWED = {
    ("src/ovation/stories/search.py", "B608"): (
        4,
        "WHERE clauses assembled from fixed fragments; every value is a %s parameter",
    ),
    ("src/ovation/directory/imports/base.py", "B608"): (
        3,
        "bulk INSERT/UPDATE/SELECT: table and column names from model _meta, quoted with "
        "connection.ops.quote_name; values are parameters",
    ),
    ("src/ovation/pulse/rollups.py", "B608"): (
        4,
        "rollup rebuilds: identifiers from model _meta (quoted), SQL fragments are constants "
        "chosen by vendor; the only value (dimension name) is a parameter",
    ),
    ("src/ovation/insights/rollups.py", "B608"): (
        1,
        "INSERT with quoted column names from model _meta; values are parameters",
    ),
    ("src/ovation/referrals/services.py", "B608"): (
        1,
        "click INSERT: table/columns from model _meta, values parameters",
    ),
    ("src/ovation/referrals/views_hub.py", "B308"): (
        1,
        "mark_safe on segno's SVG of our own referral URL: no user-controlled markup",
    ),
    ("src/ovation/referrals/views_hub.py", "B703"): (1, "same mark_safe as B308"),
    ("src/ovation/directory/imports/activities.py", "B324"): (
        1,
        "SHA-1 makes a deterministic external_id for de-duplication, not a security hash",
    ),
}


@pytest.mark.slow
def test_bandit_has_no_unreviewed_findings(tmp_path):
    out = tmp_path / "bandit.json"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "bandit"),
            "-r",
            "src",
            "-ll",
            "-q",
            "-c",
            "tests/security/bandit.yaml",
            "-f",
            "json",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    report = json.loads(out.read_text())
    assert report["errors"] == []
    counts: dict[tuple[str, str], list[str]] = {}
    for result in report["results"]:
        key = (result["filename"], result["test_id"])
        counts.setdefault(key, []).append(f"{result['filename']}:{result['line_number']}")
    unreviewed = [
        f"{key[1]} {', '.join(where)}: {len(where)} finding(s), {BANDIT_REVIEWED.get(key, (0,))[0]} reviewed"
        for key, where in counts.items()
        if len(where) > BANDIT_REVIEWED.get(key, (0, ""))[0]
    ]
    assert unreviewed == [], "unreviewed bandit findings:\n" + "\n".join(unreviewed)


# --- local rules ---------------------------------------------------------------------------------


def _python_files():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)


def _is_built_string(node: ast.AST, assigned: dict[str, ast.AST]) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
        return True
    if isinstance(node, ast.Name) and node.id in assigned:
        return _is_built_string(assigned[node.id], {})
    return False


SQL_CALLS = {"execute", "executemany", "raw", "extra"}
# Files whose string-built SQL was reviewed (identifiers from model metadata, values as
# parameters). Anything else fails.
SQL_ALLOWLIST = {
    "src/ovation/stories/search.py",
    "src/ovation/directory/imports/base.py",
    "src/ovation/pulse/rollups.py",
    "src/ovation/insights/rollups.py",
    "src/ovation/referrals/services.py",
    "src/ovation/core/management/commands/backup.py",
    "src/ovation/core/management/commands/restore.py",
}


def sql_findings() -> list[str]:
    found = []
    for rel, tree in _python_files():
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            assigned: dict[str, ast.AST] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned[target.id] = node.value
            for node in ast.walk(func):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                is_sql_call = name in SQL_CALLS or name == "RawSQL"
                if is_sql_call and _is_built_string(node.args[0], assigned):
                    found.append(f"{rel}:{node.lineno}: {name}() with SQL built from strings")
    return sorted(set(found))


def test_no_string_built_sql_outside_the_reviewed_files():
    unreviewed = [f for f in sql_findings() if f.split(":")[0] not in SQL_ALLOWLIST]
    assert unreviewed == [], (
        "SQL built with %/+/format/f-string: pass values as parameters, quote identifiers "
        "with connection.ops.quote_name, then (if still needed) add the file to "
        "SQL_ALLOWLIST with the reason:\n" + "\n".join(unreviewed)
    )


def test_the_sql_rule_catches_what_it_should():
    tree = ast.parse(
        "def f(cursor, name):\n"
        "    cursor.execute(f'SELECT * FROM t WHERE name = {name}')\n"
        "    sql = 'SELECT %s' % name\n"
        "    cursor.execute(sql)\n"
        "    cursor.execute('SELECT * FROM t WHERE name = %s', [name])\n"
    )
    func = tree.body[0]
    assigned = {n.targets[0].id: n.value for n in ast.walk(func) if isinstance(n, ast.Assign)}
    calls = [n for n in ast.walk(func) if isinstance(n, ast.Call)]
    assert [_is_built_string(c.args[0], assigned) for c in calls] == [True, True, False]


def _user_scoped_models() -> set[str]:
    """Models holding a person's or a user's data: Contact, Account, User and anything with a
    foreign key to one of them."""
    from django.apps import apps

    from ovation.directory.models import Account, Contact
    from ovation.users.models import User

    roots = {Contact, Account, User}
    names = {m.__name__ for m in roots}
    for model in apps.get_models():
        if not model.__module__.startswith("ovation."):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "related_model", None) in roots and field.concrete:
                names.add(model.__name__)
    return names


# (file:line) -> why the bare get is safe. Reviewed by hand.
OBJECTS_GET_REVIEWED: dict[str, str] = {}


def objects_get_findings(models: set[str]) -> list[str]:
    found = []
    for rel, tree in _python_files():
        name = rel.rsplit("/", 1)[-1]
        if not (name.startswith("views") or name.endswith("_views.py")):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "get"
                and getattr(node.func.value, "attr", "") == "objects"
                and getattr(node.func.value.value, "id", "") in models
            ):
                found.append(f"{rel}:{node.lineno}: {node.func.value.value.id}.objects.get(")
    return found


@pytest.mark.django_db
def test_no_bare_objects_get_on_user_scoped_models_in_views():
    models = _user_scoped_models()
    assert {"Contact", "Account", "User", "LedgerEntry"} <= models
    unreviewed = [
        f for f in objects_get_findings(models) if f.split(": ")[0] not in OBJECTS_GET_REVIEWED
    ]
    assert unreviewed == [], (
        "bare objects.get on user-scoped data in a view (raises DoesNotExist -> 500, and does "
        "not scope by the actor): use an access_<x>(actor=, id=) helper / selector that gives "
        "the same 404 for missing and forbidden:\n" + "\n".join(unreviewed)
    )


MONEY_NAME = re.compile(r"(points|amount|balance|cost|price|arr|revenue|credit|debit|value_usd)")
# Reviewed: not points or money.
FLOAT_REVIEWED = {
    "motivation.AskType.fatigue_cost": "a 0..1 fatigue weight in the motivation model (checked "
    "by a constraint), not points or money",
}


def test_no_float_fields_for_points_or_money():
    from django.apps import apps
    from django.db import models as dj

    floats = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("ovation.")
        for field in model._meta.concrete_fields
        if isinstance(field, dj.FloatField)
        and MONEY_NAME.search(field.name)
        and f"{model._meta.label}.{field.name}" not in FLOAT_REVIEWED
    ]
    assert floats == [], f"use IntegerField (points) or DecimalField (money): {floats}"
