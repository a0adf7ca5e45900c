"""Shared pieces for every app's django-ninja router: cursor pagination, problem JSON
(RFC 9457) and permission checks. Apps import these; `ovation.api` assembles the routers."""

import base64
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import HttpError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


class ApiError(HttpError):
    """An HTTP error that names the field at fault, rendered as problem JSON."""

    def __init__(
        self, status: int, message: str, *, field: str | None = None, title: str | None = None
    ):
        super().__init__(status, message)
        self.field = field
        self.title = title


def problem_body(
    status: int, detail: str, *, title: str | None = None, errors: list[dict] | None = None
) -> dict:
    from http import HTTPStatus

    try:
        default_title = HTTPStatus(status).phrase
    except ValueError:
        default_title = "Error"
    return {
        "type": "about:blank",
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }


def require_perm(request: HttpRequest, perm: str, *, write: bool = False) -> None:
    """Raise 403 unless the caller's role has `perm` (and, for writes, a write-scoped token)."""
    user = request.user
    if not user.is_authenticated or not user.has_perm(perm):
        raise ApiError(403, "your role does not allow this")
    if write and getattr(request, "api_scope", "write") != "write":
        raise ApiError(403, "this token has read scope; a write-scoped token is required")


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "the cursor is not valid", field="cursor") from exc


def paginate_cursor(request: HttpRequest, queryset, *, cursor: str | None, limit: int = 50) -> dict:
    """Keyset pagination by id: stable under inserts and constant-time at any depth."""
    limit = max(1, min(limit, 500))
    queryset = queryset.order_by("id")
    if cursor:
        queryset = queryset.filter(id__gt=_decode(cursor))
    items = list(queryset[: limit + 1])
    next_url = None
    if len(items) > limit:
        items = items[:limit]
        params = request.GET.copy()
        params["cursor"] = _encode(items[-1].id)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"items": items, "next": next_url}
