"""Benchmark: importing contacts from CSV through Ovation's real import path, against a raw
sqlite3 `executemany` INSERT of the same rows into the same table, measured in the same run.

    python bench/import_contacts.py            # 100,000 contacts (about a minute)
    python bench/import_contacts.py --quick    # 5,000 contacts

Both sides use a fresh, migrated SQLite database (WAL, synchronous=NORMAL, the same schema,
indexes and unique constraints), with the same accounts already imported. The Ovation figure
covers everything `ovation import contacts FILE` does: reading and decoding the file, mapping,
validating every cell, looking up existing contacts and accounts, inserting, committing. The
baseline gets its rows pre-built in memory and inserts them in one transaction, the fastest
way there is. Target: the import path reaches at least 30% of the raw insert rate."""

import argparse
import csv
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.30

FIRST = ["Ana", "Bjørn", "Chloé", "David", "Élodie", "Farid", "Grace", "Hiro", "Inès", "José",
         "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Søren", "Yui"]  # fmt: skip
LAST = ["Okafor", "Lindqvist", "Tanaka", "Moreau", "Hughes", "Müller", "Costa", "Novak",
        "Dubois", "García", "Kowalski", "Nguyen", "O'Brien", "Rossi", "Schmidt", "Ångström"]  # fmt: skip
TITLES = ["VP Customer Success", "Data Engineer", "Head of Analytics", "CFO", "CTO",
          "Director, Operations", "BI Manager", "Product Owner", "Administrator", "Analyst"]  # fmt: skip
ZONES = ["Europe/Brussels", "America/New_York", "Asia/Tokyo", "Europe/London", ""]


def setup_django(var_dir: Path) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["OVATION_VAR_DIR"] = str(var_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'ovation.sqlite3'}"
    os.environ["DEBUG"] = "false"
    import django

    django.setup()


def build_files(var_dir: Path, n_contacts: int) -> tuple[Path, Path, list[list[str]]]:
    n_accounts = max(n_contacts // 50, 10)
    accounts_csv = var_dir / "accounts.csv"
    with open(accounts_csv, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["crm_id", "name", "domain", "country", "employee_band", "arr"])
        for i in range(n_accounts):
            writer.writerow(
                [
                    f"ACC-{i:06d}",
                    f"Company {i}, Inc.",
                    f"company{i}.example",
                    "US",
                    "201-1000",
                    f"{(i % 90 + 10) * 1000}.00",
                ]  # fmt: skip
            )
    contacts_csv = var_dir / "contacts.csv"
    rows = []
    with open(contacts_csv, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["crm_id", "email", "first_name", "last_name", "title", "phone",
                         "timezone", "account_crm_id"])  # fmt: skip
        for i in range(n_contacts):
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
            row = [
                f"CON-{i:07d}",
                f"{first.lower()}.{i}@company{i % n_accounts}.example".replace("ø", "o")
                .replace("é", "e").replace("è", "e").replace("ö", "o"),
                first,
                last,
                TITLES[i % len(TITLES)],
                f"+1 415 555 {i % 10000:04d}",
                ZONES[i % len(ZONES)],
                f"ACC-{i % n_accounts:06d}",
            ]  # fmt: skip
            writer.writerow(row)
            rows.append(row)
    return accounts_csv, contacts_csv, rows


def baseline_insert(db_path: Path, rows: list[list[str]]) -> float:
    """Raw executemany of the same contacts into the same table; returns rows/s."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    account_ids = dict(conn.execute("SELECT crm_id, id FROM directory_account"))
    now = "2026-01-01 00:00:00"
    values = [
        (
            now,
            now,
            account_ids[r[7]],
            r[2],
            r[3],
            r[1],
            r[4],
            "",
            "",
            r[5],
            r[6],
            r[0],
            "customer",
            1,
        )  # fmt: skip
        for r in rows
    ]
    sql = (
        "INSERT INTO directory_contact (created_at, updated_at, account_id, first_name, "
        "last_name, email, title, seniority, persona, phone, timezone, crm_id, stage, is_active)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(sql, values)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    (count,) = conn.execute("SELECT COUNT(*) FROM directory_contact").fetchone()
    assert count == len(rows), count
    conn.close()
    return len(rows) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 contacts")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    n = args.rows or (5_000 if args.quick else 100_000)

    var_dir = Path(tempfile.mkdtemp(prefix="ovation-bench-import-"))
    try:
        setup_django(var_dir)
        from django.core.management import call_command
        from django.db import connection

        from ovation.directory.imports.base import load_importer, run_import
        from ovation.directory.models import Contact

        call_command("migrate", verbosity=0)
        accounts_csv, contacts_csv, rows = build_files(var_dir, n)
        size_mb = contacts_csv.stat().st_size / 1e6

        start = time.perf_counter()
        acc = run_import(load_importer("accounts"), str(accounts_csv))
        acc_time = time.perf_counter() - start
        assert acc.created > 0 and not acc.errors, acc.summary()

        # The baseline database: a copy of this one (same schema, same accounts), taken
        # before any contact exists.
        connection.close()
        db = var_dir / "ovation.sqlite3"
        src = sqlite3.connect(db)
        baseline_db = var_dir / "baseline.sqlite3"
        dst = sqlite3.connect(baseline_db)
        src.backup(dst)
        src.close()
        dst.close()

        start = time.perf_counter()
        result = run_import(load_importer("contacts"), str(contacts_csv))
        elapsed = time.perf_counter() - start
        assert result.created == n and not result.errors, result.summary()
        assert Contact.objects.count() == n
        ovation_rate = n / elapsed

        start = time.perf_counter()
        again = run_import(load_importer("contacts"), str(contacts_csv))
        again_elapsed = time.perf_counter() - start
        assert again.unchanged == n, again.summary()

        baseline_rate = baseline_insert(baseline_db, rows)
        ratio = ovation_rate / baseline_rate

        print(f"contacts CSV: {n:,} rows, {size_mb:.1f} MB; accounts: {acc.created:,}")
        print(f"accounts import:        {acc.created / acc_time:>10,.0f} rows/s")
        print(f"ovation import (new):   {ovation_rate:>10,.0f} rows/s  ({elapsed:.2f} s)")
        print(f"ovation re-import:      {n / again_elapsed:>10,.0f} rows/s  (all unchanged)")
        print(f"raw executemany:        {baseline_rate:>10,.0f} rows/s")
        print(f"ratio:                  {ratio:>10.2f}  (target >= {TARGET})")
        print(
            f"RESULT metric=import_contacts ovation={ovation_rate:.0f} baseline={baseline_rate:.0f}"
            f" ratio={ratio:.2f} target={TARGET} pass={'true' if ratio >= TARGET else 'false'}"
        )
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
