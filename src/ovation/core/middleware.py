"""Keeps the current request's origin (IP, user agent) in a context variable, so that the audit
log can say "from where" without every service taking a request argument."""

from contextvars import ContextVar

_request_origin: ContextVar[dict | None] = ContextVar("request_origin", default=None)


def current_origin() -> dict:
    return _request_origin.get() or {}


class RequestOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_origin.set(
            {
                "ip": request.META.get("REMOTE_ADDR", ""),
                "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
                "path": request.path[:300],
            }
        )
        try:
            return self.get_response(request)
        finally:
            _request_origin.reset(token)
