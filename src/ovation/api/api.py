"""The NinjaAPI: every app's router under /api/v1/, one error format (problem JSON)."""

from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ovation.automations.api import router as automations_router
from ovation.core.api import PROBLEM_CONTENT_TYPE, ApiError, problem_body
from ovation.core.errors import ServiceError
from ovation.directory.api import router as directory_router
from ovation.hub.api import router as hub_router
from ovation.insights.api import router as insights_router
from ovation.ledger.api import router as ledger_router
from ovation.motivation.api import router as motivation_router
from ovation.programs.api import router as programs_router
from ovation.pulse.api import router as pulse_router
from ovation.references.api import router as references_router
from ovation.referrals.api import router as referrals_router
from ovation.rewards.api import router as rewards_router
from ovation.stories.api import router as stories_router
from ovation.users.api_auth import api_auth


class OvationAPI(NinjaAPI):
    """Documents errors as they are sent: every 4xx/5xx answer is `application/problem+json`,
    and every operation has a `default` problem response (a malformed cursor, an id out of
    range or a rate limit can answer any operation with an error not listed by status)."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                # OpenAPI keys responses by string ("404", "default").
                responses = {str(k): v for k, v in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for status, response in responses.items():
                    if status[0] in "45" and "content" in response:
                        response["content"] = {PROBLEM_CONTENT_TYPE: problem}
                responses.setdefault(
                    "default",
                    {
                        "description": "An error, as RFC 9457 problem JSON naming the field",
                        "content": {PROBLEM_CONTENT_TYPE: problem},
                    },
                )
        return schema


api = OvationAPI(
    title="Ovation API",
    version="1.0.0",
    description="Customer advocacy: directory, NPS, hub, ledger, rewards, references, referrals, programs, "
    "stories, automations and insights. Authenticate with `Authorization: Bearer <token>` "
    "(`ovation token create EMAIL`). Errors are RFC 9457 problem JSON naming the field.",
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _problem(request, status: int, detail: str, **kwargs):
    response = api.create_response(request, problem_body(status, detail, **kwargs), status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in {"body", "query", "path", "header", "payload", "data"}]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = [
        {"field": _field_name(e.get("loc", [])), "message": e.get("msg", "invalid")}
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _problem(request, 422, detail, title="Validation failed", errors=errors)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
    return _problem(request, exc.status, exc.message, errors=errors)


@api.exception_handler(ApiError)
def api_error(request, exc: ApiError):
    errors = [{"field": exc.field, "message": str(exc)}] if exc.field else []
    return _problem(request, exc.status_code, str(exc), title=exc.title, errors=errors)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _problem(request, exc.status_code, str(exc))


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _problem(request, 401, "authentication required: send Authorization: Bearer <token>")


@api.exception_handler(OverflowError)
def overflow_error(request, exc):
    # A number too large for the database column (SQLite raises OverflowError).
    return _problem(
        request, 422, "a number in the request is out of range", title="Validation failed"
    )


@api.exception_handler(DataError)
def data_error(request, exc):
    # The database refused a value (PostgreSQL: out-of-range integer, NUL character...).
    return _problem(
        request,
        422,
        "a value in the request is out of range or malformed",
        title="Validation failed",
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return _problem(request, 404, "not found")


for _prefix, _router in [
    ("", directory_router),
    ("", ledger_router),
    ("", pulse_router),
    ("", hub_router),
    ("", rewards_router),
    ("", references_router),
    ("", referrals_router),
    ("", motivation_router),
    ("", programs_router),
    ("", stories_router),
    ("", automations_router),
    ("", insights_router),
]:
    api.add_router(_prefix, _router)
