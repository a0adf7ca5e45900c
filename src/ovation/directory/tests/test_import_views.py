"""The staff import wizard and exports through the Django test client (given / when / then)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ovation.directory.import_models import ImportJob
from ovation.directory.imports import jobs
from ovation.directory.models import Account, Contact
from ovation.users.models import User

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(db):
    return User.objects.create_user("boss@acme.test", role=User.Role.MANAGER, full_name="Mia Boss")


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def sf_accounts(db):
    for crm, name in [
        ("0015g00000Acc01AAA", "Northwind Traders"),
        ("0015g00000Acc02AAA", "Globex"),
        ("0015g00000Acc03AAA", "Initech"),
    ]:
        Account.objects.create(name=name, crm_id=crm)


def upload(client, path: Path, kind="contacts", preset="salesforce", name=None):
    data = path.read_bytes() if isinstance(path, Path) else path
    file = SimpleUploadedFile(name or getattr(path, "name", "x.csv"), data, "text/csv")
    return client.post(
        reverse("directory:import-start"), {"kind": kind, "preset": preset, "file": file}
    )


def test_wizard_upload_mapping_preview_import_and_error_file(
    as_manager, sf_accounts, django_capture_on_commit_callbacks
):
    # Given a Salesforce Contact export with a bad email on row 7
    # When a manager uploads it with the Salesforce preset
    response = upload(as_manager, DATA / "salesforce_contacts.csv")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:import-mapping", args=[job.pk])
    assert (job.kind, job.preset, job.total_rows, job.status) == (
        "contacts",
        "salesforce",
        9,
        "uploaded",
    )

    # Then the mapping page pre-fills a select per column from the preset, with samples
    page = as_manager.get(response["Location"]).content.decode()
    assert '<option value="email" selected>Email (required)</option>' in page
    assert '<option value="account_crm_id" selected>Account CRM id</option>' in page
    assert "<code>ngozi.okafor@northwind.example</code>" in page
    assert job.mapping["Email"] == "email" and job.mapping["Department"] == ""

    # When the mapping is confirmed (ignoring Phone as well)
    form = {f"map-{i}": job.mapping[c] for i, c in enumerate(job.headers)}
    form[f"map-{job.headers.index('Phone')}"] = ""
    response = as_manager.post(reverse("directory:import-mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("directory:import-preview", args=[job.pk])

    # Then the preview shows the first rows with the bad cell highlighted and the message
    page = as_manager.get(response["Location"]).content.decode()
    assert "row 7: <strong>email</strong>: &#x27;janey@&#x27; is not a valid email address" in page
    assert '<td class="cell-error" title="problem in Email">janey@</td>' in page
    assert page.count('class="cell-error"') == 1
    assert "Import 9 rows" in page
    assert Contact.objects.count() == 0  # the preview writes nothing

    # When the import is started (the task runs on commit; the immediate backend runs it)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(reverse("directory:import-run", args=[job.pk]))
    assert response["Location"] == reverse("directory:import-detail", args=[job.pk])

    # Then 8 contacts land, without phones, and the result page shows the counts
    job.refresh_from_db()
    assert (job.status, job.created, job.updated, job.unchanged, job.rejected) == (
        "done",
        8,
        0,
        0,
        1,
    )
    assert Contact.objects.count() == 8
    assert set(Contact.objects.values_list("phone", flat=True)) == {""}
    page = as_manager.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert '<div class="value">8</div><div class="label">created</div>' in page
    assert (
        "<td>7</td><td><code>email</code></td><td>&#x27;janey@&#x27; is not a valid email address</td>"
        in page
    )

    # And the error file holds row, field, message and the original columns
    response = as_manager.get(reverse("directory:import-errors", args=[job.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["row", "field", "message", "Id", "AccountId"]
    assert rows[1][:3] == ["7", "email", "'janey@' is not a valid email address"]
    assert rows[1][3] == "0035g00000QxA06AAF" and rows[1][10] == "janey@"
    assert len(rows) == 2


def test_running_the_same_file_again_through_the_ui_changes_nothing(
    as_manager, sf_accounts, django_capture_on_commit_callbacks
):
    for _ in range(2):
        upload(as_manager, DATA / "salesforce_contacts.csv")
        job = ImportJob.objects.first()
        with django_capture_on_commit_callbacks(execute=True):
            as_manager.post(reverse("directory:import-run", args=[job.pk]))
        if _ == 0:
            stamps = dict(Contact.objects.values_list("email", "updated_at"))
    job.refresh_from_db()
    assert (job.created, job.updated, job.unchanged, job.rejected) == (0, 0, 8, 1)
    assert dict(Contact.objects.values_list("email", "updated_at")) == stamps


def test_atomic_run_through_the_ui_writes_nothing(
    as_manager, sf_accounts, django_capture_on_commit_callbacks
):
    upload(as_manager, DATA / "salesforce_contacts.csv")
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        as_manager.post(reverse("directory:import-run", args=[job.pk]), {"atomic": "on"})
    job.refresh_from_db()
    assert (job.status, job.is_written, job.rejected) == ("done", False, 1)
    assert Contact.objects.count() == 0
    page = as_manager.get(reverse("directory:import-detail", args=[job.pk])).content.decode()
    assert "nothing was written because 1 row had problems" in page


def test_result_page_polls_while_the_job_is_queued(as_manager, sf_accounts):
    upload(as_manager, DATA / "salesforce_contacts.csv")
    job = ImportJob.objects.get()
    # Without running the on-commit callbacks the job stays queued.
    as_manager.post(reverse("directory:import-run", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "queued"

    page = as_manager.get(reverse("directory:import-detail", args=[job.pk])).content.decode()
    assert f'hx-get="/import/{job.pk}/" hx-trigger="every 1s"' in page
    partial = as_manager.get(
        reverse("directory:import-detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert partial.lstrip().startswith('<section id="import-status"')
    assert "<html" not in partial

    # And starting it twice is refused
    as_manager.post(reverse("directory:import-run", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "queued"


def test_mapping_without_the_required_field_is_refused(as_manager, sf_accounts):
    upload(as_manager, DATA / "salesforce_contacts.csv")
    job = ImportJob.objects.get()
    form = {f"map-{i}": job.mapping[c] for i, c in enumerate(job.headers)}
    form[f"map-{job.headers.index('Email')}"] = ""

    response = as_manager.post(reverse("directory:import-mapping", args=[job.pk]), form)

    assert response.status_code == 400
    assert (
        "no column maps to the required field email; map a column to email"
        in response.content.decode()
    )
    job.refresh_from_db()
    assert job.mapping["Email"] == "email"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("contacts.xlsx", b"PK\x03\x04rest", "contacts.xlsx is not a CSV file"),
        ("contacts.csv", b"PK\x03\x04rest", "looks like an Excel workbook"),
        ("contacts.csv", b"email\r\n", "has a header but no data rows"),
    ],
)
def test_uploads_that_are_not_csv_are_refused_with_a_message(as_manager, name, data, message):
    response = upload(as_manager, data, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_upload_over_the_size_limit_is_refused(as_manager, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_UPLOAD_BYTES", 100)
    response = upload(as_manager, b"email\r\n" + b"a@x.example\r\n" * 20, name="big.csv")
    assert response.status_code == 400
    assert "big.csv is 0.0 MB; the limit is 0 MB." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_sales_user_gets_403_and_nothing_is_imported(client, sf_accounts):
    client.force_login(User.objects.create_user("rep@acme.test", role=User.Role.SALES))

    response = upload(client, DATA / "salesforce_contacts.csv")

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0
    assert Contact.objects.count() == 0
    assert client.get(reverse("directory:import-start")).status_code == 403
    assert client.get(reverse("directory:export-download", args=["contacts"])).status_code == 403


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("directory:import-start"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_export_page_and_streamed_csv_download(as_manager, sf_accounts):
    Contact.objects.create(email="zoe@acme.example", first_name="Zoë", crm_id="C-1")

    page = as_manager.get(reverse("directory:export-start")).content.decode()
    assert 'href="/export/contacts.csv"' in page
    assert 'href="/export/accounts.csv"' in page
    assert 'href="/export/activities.csv"' in page

    response = as_manager.get(reverse("directory:export-download", args=["contacts"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    assert b"".join(response.streaming_content).decode() == (
        "crm_id,email,first_name,last_name,title,seniority,persona,phone,timezone,is_active,"
        "account_crm_id,account_domain,account_name\r\n"
        "C-1,zoe@acme.example,Zoë,,,,,,,true,,,\r\n"
    )
    assert as_manager.get("/export/unicorns.csv").status_code == 404


def test_import_start_page_lists_kinds_and_recent_jobs(as_manager, sf_accounts):
    upload(as_manager, DATA / "salesforce_contacts.csv")
    page = as_manager.get(reverse("directory:import-start")).content.decode()
    assert '<option value="contacts">Contacts</option>' in page
    assert '<option value="salesforce">Salesforce (API field names)</option>' in page
    assert "salesforce_contacts.csv" in page
    assert '<span class="badge">Not started</span>' in page
