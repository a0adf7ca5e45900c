"""Thin views: parse the filters, call the selectors, render (or export CSV)."""

import csv
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.core.http import paginate, permission_required

from . import report, rollups, selectors
from .drilldown import drill


@login_required
def home(request):
    """Staff landing page; advocates are sent to the hub."""
    if not request.user.is_staff_member:
        return redirect("/hub/")
    return _home(request)


@permission_required("ovation.view_directory")
def _home(request):
    hour = timezone.localtime().hour
    f = selectors.Filters.from_query({})
    advocacy = selectors.advocacy_section(f)
    context = {
        "greeting": "morning" if hour < 12 else "afternoon" if hour < 18 else "evening",
        "advocacy": advocacy,
        "activities_30d": Activity.objects.filter(
            occurred_at__gte=timezone.now() - timedelta(days=30)
        ).count(),
        "recent": Activity.objects.select_related("contact").order_by("-occurred_at", "-id")[:15],
        "show_contact": True,
        "can_insights": request.user.has_perm("ovation.view_insights"),
        "filters": f,
    }
    return render(request, "insights/home.html", context)


def _refresh_if_behind():
    """One indexed MAX(id) per source: when new rows arrived since the last catch-up, queue
    one (the page still reads the rollups as they are; it never scans the sources). At most
    one queued catch-up a minute, however many executives reload the page."""
    if rollups.cells_behind() and cache.add("insights:catch-up-queued", 1, timeout=60):
        from .tasks import cells_catch_up_task

        cells_catch_up_task.enqueue()


@permission_required("ovation.view_insights")
def dashboard(request):
    f = selectors.Filters.from_query(request.GET)
    _refresh_if_behind()
    data = selectors.dashboard(f)
    options = selectors.filter_options()
    context = {
        "data": data,
        "filters": f,
        "options": options,
        "segment_labels": selectors.segment_labels(f, options),
        "tiles": report.headline(data),
        "tables": report.tables(data),
        "charts": report.chart_data(data),
        "query": f.query(),
    }
    return render(request, "insights/dashboard.html", context)


@permission_required("ovation.view_insights")
def table_export(request, table: str):
    f = selectors.Filters.from_query(request.GET)
    tables = report.tables(selectors.dashboard(f))
    if table not in tables:
        return HttpResponse("unknown table", status=404, content_type="text/plain")
    t = tables[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ovation-{table}-{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(t.headers)
    for row in t.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return response


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    text = str(value)
    # CSV injection: a cell a spreadsheet would run as a formula is prefixed with a quote.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@permission_required("ovation.view_insights")
def rows(request, metric: str):
    f = selectors.Filters.from_query(request.GET)
    d = drill(metric, f, request.GET)
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield writer.writerow(d.headers)
            for obj in d.queryset.iterator(chunk_size=2000):
                yield writer.writerow([_csv_cell(c) for c in d.cells(obj)])

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="ovation-{metric}.csv"'
        return response
    page = paginate(request, d.queryset, per_page=50)
    context = {
        **page,
        "drill": d,
        "metric": metric,
        "filters": f,
        "rows": [(d.cells(obj), d.link(obj)) for obj in page["page_obj"].object_list],
        "csv_query": request.GET.copy().urlencode(),
    }
    return render(request, "insights/rows.html", context)
