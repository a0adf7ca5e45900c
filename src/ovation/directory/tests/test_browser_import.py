"""A manager imports a Salesforce export with one bad row through the UI, sees the row/field
message in the preview, and downloads the error file (real Chromium)."""

import csv
import io
from pathlib import Path

import pytest

from ovation.directory.models import Account, Contact
from ovation.users.models import User

DATA = Path(__file__).parent / "data"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server):
    User.objects.create_user(
        "manager@acme.test", "ovation-demo-pw", role=User.Role.MANAGER, full_name="Morgan Manager"
    )
    page.goto(f"{live_server.url}/auth/login/")
    page.fill("input[name=login]", "manager@acme.test")
    page.fill("input[name=password]", "ovation-demo-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


def test_manager_imports_csv_with_one_bad_row_and_downloads_the_errors(
    page, live_server, screenshot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    for crm, name in [
        ("0015g00000Acc01AAA", "Northwind Traders"),
        ("0015g00000Acc02AAA", "Globex"),
        ("0015g00000Acc03AAA", "Initech"),
    ]:
        Account.objects.create(name=name, crm_id=crm)
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server)

    # Upload
    page.goto(f"{live_server.url}/import/")
    page.select_option("select[name=kind]", "contacts")
    page.select_option("select[name=preset]", "salesforce")
    page.set_input_files("input[name=file]", str(DATA / "salesforce_contacts.csv"))
    screenshot("import-upload")
    page.click("button:has-text('Upload and map columns')")

    # Mapping, pre-filled from the Salesforce preset
    page.wait_for_selector("h1:has-text('Map columns')")
    email_select = page.locator("tr:has(th:has-text('Email')) select")
    assert email_select.input_value() == "email"
    assert page.locator("tr:has(th:has-text('Department')) select").input_value() == ""
    screenshot("import-mapping")
    page.click("button:has-text('Preview')")

    # Preview: the bad row and field, highlighted
    page.wait_for_selector("h1:has-text('Preview')")
    problems = page.locator(".import-problems li")
    assert problems.all_inner_texts() == ["row 7: email: 'janey@' is not a valid email address"]
    assert page.locator("td.cell-error").all_inner_texts() == ["janey@"]
    screenshot("import-preview")
    page.click("button:has-text('Import 9 rows')")

    # Result
    page.wait_for_selector("#import-status .badge.ok")
    tiles = page.locator("#import-status .tile").all_inner_texts()
    assert [t.split("\n")[0] for t in tiles] == ["8", "0", "0", "1"]
    assert Contact.objects.count() == 8
    screenshot("import-result")

    # The error file
    with page.expect_download() as download_info:
        page.click("text=Download the error file (CSV)")
    download = download_info.value
    content = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:4] == ["row", "field", "message", "Id"]
    assert rows[1][:4] == [
        "7",
        "email",
        "'janey@' is not a valid email address",
        "0035g00000QxA06AAF",
    ]
    assert len(rows) == 2
