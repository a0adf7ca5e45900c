from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness plus a database round trip and pending-migration check (JSON)."""
    status = {"status": "ok", "database": "ok", "migrations": "ok"}
    code = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            status["migrations"] = "pending"
            status["status"] = "degraded"
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        status.update(status="error", database=type(exc).__name__)
        code = 503
    return JsonResponse(status, status=code)
