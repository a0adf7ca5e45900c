"""Import wizard (upload, column mapping, preview, run) and exports, for staff.

Upload -> `import/<id>/mapping/` -> `import/<id>/preview/` -> POST `import/<id>/run/` ->
`import/<id>/` (polls with htmx until the task is done) -> `import/<id>/errors.csv`.
Exports stream a CSV per kind from `export/<kind>.csv`."""

from django import forms
from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import permission_required, render_page

from .import_models import ImportJob
from .imports import jobs
from .imports.base import ImportSetupError, export_lines, load_importer

PRESET_LABELS = {
    "generic": "Ovation columns (as exported)",
    "salesforce": "Salesforce (API field names)",
    "hubspot": "HubSpot (export labels)",
    "delighted": "Delighted",
}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What are you importing?")
    preset = forms.ChoiceField(label="Where does the file come from?")
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV (with or without BOM), up to {jobs.MAX_UPLOAD_BYTES // 1_000_000} MB."
        " Row 1 is the header; the first data row is row 2.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k["kind"], k["label"]) for k in kinds]
        presets = []
        for kind in kinds:
            presets += [p for p in kind["presets"] if p not in presets]
        self.fields["preset"].choices = [(p, PRESET_LABELS.get(p, p.title())) for p in presets]
        self.fields["preset"].initial = "generic"


def _job(job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)


@permission_required("ovation.import_data")
def import_start(request):
    kinds = jobs.import_job_kinds()
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.import_job_create(
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                preset=form.cleaned_data["preset"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("directory:import-mapping", job_id=job.pk)
    recent = ImportJob.objects.select_related("created_by")[:10]
    return render(
        request,
        "directory/import_start.html",
        {"form": form, "kinds": kinds, "recent": recent},
        status=400 if form.errors else 200,
    )


@permission_required("ovation.import_data")
def import_mapping(request, job_id: int):
    job = _job(job_id)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("directory:import-detail", job_id=job.pk)
    importer = load_importer(job.kind)
    error = None
    if request.method == "POST":
        mapping = {c: request.POST.get(f"map-{i}", "") for i, c in enumerate(job.headers)}
        try:
            jobs.import_job_set_mapping(job=job, mapping=mapping)
        except ServiceError as exc:
            error = exc.message
            job.mapping = mapping
        else:
            return redirect("directory:import-preview", job_id=job.pk)
    rows = jobs.import_job_mapping_rows(job=job)
    return render(
        request,
        "directory/import_mapping.html",
        {
            "job": job,
            "importer": importer,
            "rows": [(i, row) for i, row in enumerate(rows)],
            "error": error,
        },
        status=400 if error else 200,
    )


@permission_required("ovation.import_data")
def import_preview(request, job_id: int):
    job = _job(job_id)
    if job.status != ImportJob.Status.UPLOADED:
        return redirect("directory:import-detail", job_id=job.pk)
    try:
        preview = jobs.import_job_preview(job=job)
    except ImportSetupError as exc:
        messages.error(request, str(exc))
        return redirect("directory:import-mapping", job_id=job.pk)
    return render(
        request,
        "directory/import_preview.html",
        {"job": job, "importer": load_importer(job.kind), "preview": preview},
    )


@require_POST
@permission_required("ovation.import_data")
def import_run(request, job_id: int):
    job = _job(job_id)
    try:
        jobs.import_job_start(job=job, is_atomic=request.POST.get("atomic") == "on")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("directory:import-detail", job_id=job.pk)


@permission_required("ovation.import_data")
def import_detail(request, job_id: int):
    job = _job(job_id)
    return render_page(
        request,
        "directory/import_detail.html",
        "directory/partials/_import_status.html",
        {"job": job},
    )


@permission_required("ovation.import_data")
def import_errors(request, job_id: int):
    job = _job(job_id)
    if not job.error_file:
        raise Http404("this import has no rejected rows")
    handle = job.error_file.open("rb")
    response = StreamingHttpResponse(iter(lambda: handle.read(64 * 1024), b""))
    response["Content-Type"] = "text/csv; charset=utf-8"
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@permission_required("ovation.export_data")
def import_export(request):
    kinds = [k for k in jobs.import_job_kinds() if _exportable(k["kind"])]
    return render(request, "directory/import_export.html", {"kinds": kinds})


def _exportable(kind: str) -> bool:
    try:
        load_importer(kind).export_rows()
    except ImportSetupError:
        return False
    return True


@permission_required("ovation.export_data")
def export_download(request, kind: str):
    try:
        importer = load_importer(kind)
        lines = export_lines(importer)
        header = next(lines)
    except ImportSetupError as exc:
        raise Http404(str(exc)) from exc

    def stream():
        yield header
        yield from lines

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


urlpatterns = [
    path("import/", import_start, name="import-start"),
    path("import/<int:job_id>/", import_detail, name="import-detail"),
    path("import/<int:job_id>/mapping/", import_mapping, name="import-mapping"),
    path("import/<int:job_id>/preview/", import_preview, name="import-preview"),
    path("import/<int:job_id>/run/", import_run, name="import-run"),
    path("import/<int:job_id>/errors.csv", import_errors, name="import-errors"),
    path("export/", import_export, name="export-start"),
    path("export/<slug:kind>.csv", export_download, name="export-download"),
]
