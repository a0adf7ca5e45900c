"""CSV import/export through the CLI and the engine (given / when / then)."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from ovation.directory.imports import contacts as contacts_import
from ovation.directory.imports.base import (
    ImportSetupError,
    decode_bytes,
    load_importer,
    run_import,
)
from ovation.directory.models import Account, Contact, Industry, Product
from ovation.users.models import User

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.django_db


def run_cli(*args) -> tuple[int, str, str]:
    """Run `ovation import|export ...`; returns (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err, no_progress=True)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def export_cli(kind: str) -> str:
    out = io.StringIO()
    call_command("export", kind, stdout=out)
    return out.getvalue()


@pytest.fixture
def sf_accounts(db):
    """Three accounts as a Salesforce Account import would have left them."""
    return {
        crm: Account.objects.create(name=name, domain=domain, crm_id=crm)
        for crm, name, domain in [
            ("0015g00000Acc01AAA", "Northwind Traders", "northwind.example"),
            ("0015g00000Acc02AAA", "Globex", "globex.example"),
            ("0015g00000Acc03AAA", "Initech", "initech.example"),
        ]
    }


def snapshot():
    return {
        c.email: (c.pk, c.updated_at, c.first_name, c.account_id)
        for c in Contact.objects.order_by("pk")
    }


# --- The Salesforce scenario from the issue -------------------------------------------------
def test_salesforce_export_with_one_bad_email_imports_the_rest_and_reimport_changes_nothing(
    sf_accounts,
):
    # Given a Salesforce Contact export of 9 rows where row 7 has the email "janey@"
    path = str(DATA / "salesforce_contacts.csv")

    # When it is imported with the salesforce preset
    status, out, _ = run_cli("import", "contacts", path, "--preset", "salesforce")

    # Then that row and field are reported, the 8 others land, and the exit status is 1
    assert status == 1
    assert out.splitlines() == [
        "Contacts: 9 rows: 8 created, 0 updated, 0 unchanged, 1 rejected",
        "row 7: email: 'janey@' is not a valid email address",
    ]
    assert Contact.objects.count() == 8
    ngozi = Contact.objects.get(crm_id="0035g00000QxA01AAF")
    assert (ngozi.first_name, ngozi.last_name, ngozi.email, ngozi.title, ngozi.phone) == (
        "Ngozi",
        "Okafor",
        "ngozi.okafor@northwind.example",
        "VP Customer Success",
        "+1 415 555 0101",
    )
    assert ngozi.account == sf_accounts["0015g00000Acc01AAA"]
    assert ngozi.stage == Contact.Stage.CUSTOMER
    assert not Contact.objects.filter(last_name="Doe").exists()

    # When the same file is imported again
    before = snapshot()
    status, out, _ = run_cli("import", "contacts", path, "--preset", "salesforce")

    # Then nothing changes: same counts, same rows, updated_at untouched
    assert status == 1
    assert out.splitlines()[0] == "Contacts: 9 rows: 0 created, 0 updated, 8 unchanged, 1 rejected"
    assert snapshot() == before


def test_reimport_with_a_changed_title_updates_only_that_contact(sf_accounts):
    path = DATA / "salesforce_contacts.csv"
    run_cli("import", "contacts", str(path), "--preset", "salesforce")
    before = snapshot()
    edited = path.read_bytes().decode().replace('"CFO"', '"Chief Financial Officer"')

    result = run_import(contacts_import.IMPORTER, edited.encode(), preset="salesforce")

    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 1, 7, 1)
    luc = Contact.objects.get(email="luc.moreau@globex.example")
    assert luc.title == "Chief Financial Officer"
    assert luc.updated_at > before[luc.email][1]
    after = snapshot()
    del after[luc.email], before[luc.email]
    assert after == before


def test_upsert_matches_email_case_insensitively_and_fills_the_crm_id(sf_accounts):
    # Given Priya exists (lower-case email, no CRM id), created by hand
    Contact.objects.create(email="priya.hughes@initech.example", first_name="P")

    run_cli("import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce")

    priya = Contact.objects.get(email__iexact="priya.hughes@initech.example")
    assert Contact.objects.filter(email__iexact="priya.hughes@initech.example").count() == 1
    assert (priya.crm_id, priya.first_name) == ("0035g00000QxA05AAF", "Priya")


def test_atomic_writes_nothing_when_a_row_is_bad(sf_accounts):
    status, out, _ = run_cli(
        "import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce",
        "--atomic",
    )  # fmt: skip

    assert status == 1
    assert out.splitlines() == [
        "Contacts: 9 rows: 8 created, 0 updated, 0 unchanged, 1 rejected "
        "(atomic: nothing written because rows were rejected)",
        "row 7: email: 'janey@' is not a valid email address",
    ]
    assert Contact.objects.count() == 0


def test_atomic_import_of_a_clean_file_writes_everything(sf_accounts):
    text = (DATA / "salesforce_contacts.csv").read_bytes().decode()
    clean = "\r\n".join(line for line in text.split("\r\n") if "janey@" not in line)

    result = run_import(contacts_import.IMPORTER, clean.encode(), preset="salesforce", atomic=True)

    assert (result.created, result.rejected, result.written) == (8, 0, True)
    assert Contact.objects.count() == 8


def test_dry_run_validates_counts_and_writes_nothing(sf_accounts):
    status, out, _ = run_cli(
        "import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce",
        "--dry-run",
    )  # fmt: skip

    assert status == 1
    assert out.splitlines()[0] == (
        "Contacts: 9 rows: 8 would be created, 0 would be updated, 0 unchanged, 1 rejected "
        "(dry run: nothing written)"
    )
    assert Contact.objects.count() == 0


def test_clean_import_exits_zero():
    status, out, _ = run_cli(
        "import", "contacts", str(DATA / "messy_contacts.csv"), "--map", "account_name="
    )
    assert (status, out) == (0, "Contacts: 4 rows: 4 created, 0 updated, 0 unchanged, 0 rejected\n")


# --- Reading files ------------------------------------------------------------------------
def test_bom_crlf_quoted_comma_and_newline_and_accents_are_read_exactly():
    # Given a UTF-8 file with a BOM, CRLF line ends, a quoted comma, a quoted newline, an
    # escaped quote, a blank line and accented names
    Account.objects.create(name="Acme Corp", domain="acme.example")

    status, out, _ = run_cli("import", "contacts", str(DATA / "messy_contacts.csv"))

    assert status == 0
    assert out == "Contacts: 4 rows: 4 created, 0 updated, 0 unchanged, 0 rejected\n"
    got = {
        c.email: (c.first_name, c.last_name, c.title, c.account.name)
        for c in Contact.objects.select_related("account")
    }
    assert got == {
        "zoe@acme.example": ("Zoë", "Ångström", "Director, Customer Success", "Acme Corp"),
        "francois@acme.example": (
            "François",
            "Lefèvre",
            "Head of Data\r\nand Analytics",
            "Acme Corp",
        ),
        "jose@acme.example": ("José", "Muñoz", 'Says "hello"', "Acme Corp"),
        "bjorn@acme.example": ("Bjørn", "Øvergård", "Engineer", "Acme Corp"),
    }


def test_row_numbers_count_a_quoted_newline_as_one_row_and_blank_lines_as_rows():
    # The blank line is row 5, so Bjørn is row 6 (as a spreadsheet shows the file).
    data = (DATA / "messy_contacts.csv").read_bytes().replace(b"bjorn@acme.example", b"bjorn@")

    result = run_import(contacts_import.IMPORTER, data, overrides={"account_name": ""})

    assert [str(e) for e in result.errors] == [
        "row 6: email: 'bjorn@' is not a valid email address"
    ]


def test_latin1_file_is_read_with_a_warning():
    data = "email,first_name,last_name\r\nzoe@acme.example,Zoë,Müller\r\n".encode("latin-1")

    result = run_import(contacts_import.IMPORTER, data)

    assert result.created == 1
    assert Contact.objects.get().first_name == "Zoë"
    assert result.warnings == [
        "the file is not UTF-8 (first bad byte on line 2); it was read as Windows-1252. Check "
        "accented names, or save it as 'CSV UTF-8' and import again"
    ]


def test_excel_workbook_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100)

    with pytest.raises(CommandError) as exc:
        run_cli("import", "contacts", str(path))

    assert "looks like an Excel workbook" in str(exc.value)
    assert Contact.objects.count() == 0


def test_semicolon_delimited_file_is_detected():
    data = b"email;first_name\r\nana@x.example;Ana\r\n"
    result = run_import(contacts_import.IMPORTER, data)
    assert (result.created, Contact.objects.get().first_name) == (1, "Ana")


def test_utf8_decoding_helper_strips_the_bom():
    assert decode_bytes("\ufeffa,b".encode()) == ("a,b", None)


def test_utf16_file_with_a_nul_character_is_refused_and_keeps_nothing():
    data = "email,first_name\r\nana@x.example,A\x00na\r\n".encode("utf-16")
    with pytest.raises(ImportSetupError) as exc:
        run_import(contacts_import.IMPORTER, data)
    assert "NUL" in str(exc.value)
    assert Contact.objects.count() == 0


def test_amount_too_large_for_the_column_names_row_and_field():
    data = b"name,arr\r\nGood Co,1000\r\nHuge Co,1" + b"0" * 30 + b"\r\n"
    result = run_import(load_importer("accounts"), data)
    assert [str(e) for e in result.errors] == [
        f"row 3: arr: '1{'0' * 30}' is too large (at most 12 digits)"
    ]
    assert list(Account.objects.values_list("name", flat=True)) == ["Good Co"]


# --- Validation messages --------------------------------------------------------------------
def test_bad_dates_numbers_and_choices_name_row_and_field():
    data = (
        b"name,arr,customer_since,employee_band,status,country\r\n"
        b"Good Co,1000,2021-01-01,51-200,active,US\r\n"
        b"Bad Arr,lots,2021-01-01,,,\r\n"
        b"Bad Date,10,03/04/2021,,,\r\n"
        b"Bad Band,10,,huge,paused,Narnia\r\n"
        b"Negative,-5,,,,\r\n"
    )

    result = run_import(load_importer("accounts"), data)

    assert [str(e) for e in result.errors] == [
        "row 3: arr: 'lots' is not a number",
        "row 4: customer_since: '03/04/2021' is not a date (use YYYY-MM-DD)",
        "row 5: employee_band: 'huge' is not one of: 1-50, 51-200, 201-1000, 1001-5000, 5001+",
        "row 5: status: 'paused' is not one of: prospect, onboarding, active, at_risk, churned",
        "row 5: country: 'Narnia' is not a two-letter country code (e.g. US, BE)",
        "row 6: arr: '-5' is below the minimum of 0",
    ]
    assert (result.created, result.rejected) == (1, 4)
    assert list(Account.objects.values_list("name", flat=True)) == ["Good Co"]


def test_missing_required_value_and_duplicate_email_in_the_file():
    data = b"email,first_name\r\na@x.example,A\r\n,Nobody\r\nA@X.example,Again\r\n"

    result = run_import(contacts_import.IMPORTER, data)

    assert [str(e) for e in result.errors] == [
        "row 3: email: is required",
        "row 4: email: 'A@X.example' is also on row 2",
    ]
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["A"]


def test_unknown_account_is_reported_on_the_account_field():
    data = b"email,account_crm_id\r\na@x.example,NOPE-1\r\n"

    result = run_import(contacts_import.IMPORTER, data)

    assert [str(e) for e in result.errors] == [
        "row 2: account_crm_id: no account with CRM id 'NOPE-1' (import accounts first)"
    ]
    assert Contact.objects.count() == 0


def test_ambiguous_account_name_is_reported():
    Account.objects.create(name="Twin")
    Account.objects.create(name="twin")
    result = run_import(contacts_import.IMPORTER, b"email,account_name\r\na@x.example,Twin\r\n")
    assert [str(e) for e in result.errors] == [
        "row 2: account_name: 2 accounts are named 'Twin'; give account_crm_id or account_domain"
    ]


def test_contact_crm_id_conflicting_with_the_email_owner_is_refused():
    Contact.objects.create(email="a@x.example", crm_id="CRM-1")
    result = run_import(contacts_import.IMPORTER, b"crm_id,email\r\nCRM-2,a@x.example\r\n")
    assert [str(e) for e in result.errors] == [
        "row 2: crm_id: 'CRM-2' differs from CRM id 'CRM-1' of the contact with email 'a@x.example'"
    ]
    assert Contact.objects.get().crm_id == "CRM-1"


# --- Setup errors -----------------------------------------------------------------------------
def test_kind_whose_app_has_not_landed_gives_a_clear_error(settings, tmp_path):
    settings.OVATION_IMPORTERS = {**settings.OVATION_IMPORTERS, "nps": "ovation.nowhere.IMPORTER"}
    path = tmp_path / "x.csv"
    path.write_text("email\n")
    with pytest.raises(CommandError, match=r"importing nps is not available yet"):
        run_cli("import", "nps", str(path))


def test_unknown_kind_lists_the_kinds(tmp_path):
    with pytest.raises(CommandError, match=r"unknown kind 'people'; choose from: accounts"):
        run_cli("import", "people", str(tmp_path / "x.csv"))


def test_unknown_preset_and_missing_required_column_are_explained():
    with pytest.raises(ImportSetupError, match="unknown preset 'zoho' for contacts"):
        run_import(contacts_import.IMPORTER, b"email\r\na@x.example\r\n", preset="zoho")
    with pytest.raises(
        ImportSetupError,
        match=r"no column maps to the required field email; add --map COLUMN=email \(columns: Mail, Name\)",
    ):
        run_import(contacts_import.IMPORTER, b"Mail,Name\r\na@x.example,A\r\n")


def test_map_option_maps_and_ignores_columns(sf_accounts):
    data = b"Mail,Given,Notes\r\na@x.example,Ann,ignore me\r\n"

    status, out, _ = run_cli_bytes(data, "--map", "Mail=email", "--map", "Given=first_name")

    assert status == 0
    assert Contact.objects.get().first_name == "Ann"


def run_cli_bytes(data: bytes, *options, kind="contacts", tmp=None):
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
        handle.write(data)
    return run_cli("import", kind, handle.name, *options)


def test_map_to_an_unknown_field_is_refused():
    with pytest.raises(CommandError, match="column 'Mail' maps to unknown field 'mail'"):
        run_cli_bytes(b"Mail\r\na@x.example\r\n", "--map", "Mail=mail")


# --- HubSpot, accounts, activities ----------------------------------------------------------
def test_hubspot_preset_maps_labels_and_attaches_by_company_name(sf_accounts):
    status, out, _ = run_cli(
        "import", "contacts", str(DATA / "hubspot_contacts.csv"), "--preset", "hubspot"
    )

    assert (status, out) == (0, "Contacts: 3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected\n")
    amara = Contact.objects.select_related("account").get(crm_id="51")
    assert (amara.first_name, amara.last_name, amara.title, amara.phone, amara.account.name) == (
        "Amara", "Diallo", "Marketing Director", "+1 415 555 0201", "Northwind Traders",
    )  # fmt: skip


def test_accounts_import_upserts_with_taxonomies_owner_and_products():
    User.objects.create_user("csm@acme.test", role=User.Role.CSM)

    status, out, _ = run_cli("import", "accounts", str(DATA / "accounts.csv"))

    assert (status, out) == (0, "Accounts: 3 rows: 3 created, 0 updated, 0 unchanged, 0 rejected\n")
    northwind = Account.objects.get(crm_id="0015g00000Acc01AAA")
    assert northwind.domain == "northwind.example"
    assert northwind.industry.name == "Retail"
    assert northwind.region.name == "North America"
    assert (northwind.country, northwind.employee_band) == ("US", "1001-5000")
    assert northwind.arr == Decimal("120000.00")
    assert (northwind.customer_since, northwind.renewal_date) == (
        date(2021, 3, 1),
        date(2025, 3, 1),
    )
    assert northwind.csm_owner.email == "csm@acme.test"
    assert sorted(northwind.products.values_list("name", flat=True)) == ["Analytics", "Dashboards"]
    globex = Account.objects.get(crm_id="0015g00000Acc02AAA")
    assert (globex.country, globex.arr, globex.status) == ("FR", Decimal("85000.00"), "at_risk")
    assert Industry.objects.count() == 3
    assert Product.objects.count() == 2

    # Re-import: nothing changes.
    stamps = dict(Account.objects.values_list("crm_id", "updated_at"))
    status, out, _ = run_cli("import", "accounts", str(DATA / "accounts.csv"))
    assert out == "Accounts: 3 rows: 0 created, 0 updated, 3 unchanged, 0 rejected\n"
    assert dict(Account.objects.values_list("crm_id", "updated_at")) == stamps


def test_accounts_match_by_domain_then_name():
    by_domain = Account.objects.create(name="Old Name", domain="globex.example")
    by_name = Account.objects.create(name="initech")
    User.objects.create_user("csm@acme.test", role=User.Role.CSM)

    run_cli("import", "accounts", str(DATA / "accounts.csv"))

    by_domain.refresh_from_db()
    by_name.refresh_from_db()
    assert (by_domain.name, by_domain.crm_id) == ("Globex", "0015g00000Acc02AAA")
    assert (by_name.name, by_name.crm_id) == ("Initech", "0015g00000Acc03AAA")
    assert Account.objects.count() == 3


def test_accounts_unknown_csm_owner_is_reported():
    status, out, _ = run_cli("import", "accounts", str(DATA / "accounts.csv"))
    assert status == 1
    assert out.splitlines()[1:] == [
        "row 2: csm_owner_email: no user with email 'csm@acme.test'",
        "row 4: csm_owner_email: no user with email 'csm@acme.test'",
    ]
    assert list(Account.objects.values_list("name", flat=True)) == ["Globex"]


def test_activities_import_is_idempotent_and_names_bad_rows(sf_accounts):
    run_cli("import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce")
    Activity = apps.get_model("activity", "Activity")

    status, out, _ = run_cli("import", "activities", str(DATA / "activities.csv"))

    assert status == 1
    assert out.splitlines() == [
        "Activities: 5 rows: 3 created, 0 updated, 0 unchanged, 2 rejected",
        "row 5: contact_email: no contact with email 'nobody@nowhere.example'",
        "row 6: occurred_at: 'yesterday' is not a date and time (use 2024-03-01T09:30:00Z)",
        "row 6: points: 'ten' is not a whole number",
    ]
    evt = Activity.objects.get(external_id="evt-2")
    assert evt.contact.email == "erik.lindqvist@northwind.example"
    assert evt.account == sf_accounts["0015g00000Acc01AAA"]
    assert (evt.kind, evt.points, evt.occurred_at) == (
        "review.written",
        100,
        datetime(2024, 5, 3, 7, 0, tzinfo=UTC),
    )
    assert evt.data == {"note": "G2 review"}
    derived = Activity.objects.get(kind="reference.given")
    assert derived.external_id.startswith("import:")
    assert derived.source == "import"

    status, out, _ = run_cli("import", "activities", str(DATA / "activities.csv"))
    assert (
        out.splitlines()[0] == "Activities: 5 rows: 0 created, 0 updated, 3 unchanged, 2 rejected"
    )
    assert Activity.objects.count() == 3


# --- Export round trips -------------------------------------------------------------------------
def test_contacts_export_writes_the_generic_columns_and_round_trips(sf_accounts):
    run_cli("import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce")
    Contact.objects.create(email="solo@x.example", first_name="Solo", is_active=False)

    text = export_cli("contacts")

    lines = text.split("\r\n")
    assert lines[0] == (
        "crm_id,email,first_name,last_name,title,seniority,persona,phone,timezone,is_active,"
        "account_crm_id,account_domain,account_name"
    )
    assert lines[1] == (
        "0035g00000QxA01AAF,ngozi.okafor@northwind.example,Ngozi,Okafor,VP Customer Success,,,"
        "+1 415 555 0101,,true,0015g00000Acc01AAA,northwind.example,Northwind Traders"
    )
    assert lines[-2] == ",solo@x.example,Solo,,,,,,,false,,,"
    assert len(lines) == 1 + 9 + 1  # header, 9 contacts, trailing empty string

    before = snapshot()
    result = run_import(contacts_import.IMPORTER, text.encode())
    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 9, 0)
    assert snapshot() == before


def test_accounts_and_activities_exports_round_trip(sf_accounts, tmp_path):
    User.objects.create_user("csm@acme.test", role=User.Role.CSM)
    run_cli("import", "accounts", str(DATA / "accounts.csv"))
    run_cli("import", "contacts", str(DATA / "salesforce_contacts.csv"), "--preset", "salesforce")
    run_cli("import", "activities", str(DATA / "activities.csv"))
    Activity = apps.get_model("activity", "Activity")
    # An activity recorded by a module (no external id) must not be duplicated by a round trip.
    Activity.objects.create(
        contact=Contact.objects.first(), kind="note", occurred_at=datetime(2024, 1, 1, tzinfo=UTC)
    )

    for kind, model in (("accounts", Account), ("activities", Activity)):
        out = tmp_path / f"{kind}.csv"
        call_command("export", kind, "-o", str(out), stderr=io.StringIO())
        count = model.objects.count()
        status, summary, _ = run_cli("import", kind, str(out))
        assert status == 0, summary
        assert summary == (
            f"{kind.capitalize()}: {count} rows: 0 created, 0 updated, {count} unchanged, "
            "0 rejected\n"
        )
        assert model.objects.count() == count


def test_export_of_an_unavailable_kind_is_a_clear_error(settings):
    settings.OVATION_IMPORTERS = {"nps": "ovation.nowhere.IMPORTER"}
    with pytest.raises(CommandError, match="importing nps is not available yet"):
        export_cli("nps")


# --- Query budget ---------------------------------------------------------------------------------
def test_importing_500_contacts_takes_a_fixed_small_number_of_queries(
    sf_accounts, django_assert_max_num_queries
):
    lines = ["crm_id,email,first_name,account_crm_id"]
    lines += [f"C-{i},person{i}@x.example,P{i},0015g00000Acc0{1 + i % 3}AAA" for i in range(500)]
    data = "\r\n".join(lines).encode()

    # savepoint + 3 account look-ups... in practice: 1 account query, 2 contact look-ups,
    # 1 insert (executemany), savepoint/release.
    with django_assert_max_num_queries(8):
        result = run_import(contacts_import.IMPORTER, data)

    assert result.created == 500
    assert Contact.objects.filter(account__isnull=False).count() == 500

    # Re-import with every title changed: still a fixed number of queries.
    changed = "\r\n".join(lines).replace("crm_id,email,first_name", "crm_id,email,title")
    with django_assert_max_num_queries(8):
        result = run_import(contacts_import.IMPORTER, changed.encode())
    assert (result.updated, result.unchanged) == (500, 0)
