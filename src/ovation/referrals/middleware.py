"""Optional fast path for `/r/<code>`, the busiest URL: placed FIRST in settings.MIDDLEWARE it
serves known codes before URL resolution and the rest of the stack (sessions, CSRF, auth,
messages, CSP, allauth, axes), none of which a click needs. Anything else — unknown codes
(rate-limited friendly page), plain HTTP when SECURE_SSL_REDIRECT is on, other paths — goes
through the normal stack unchanged. The response carries the headers SecurityMiddleware
would add to a redirect."""

import re

from django.conf import settings

from .selectors import link_target_get
from .tracking import code_is_well_formed

_CLICK_PATH = re.compile(r"^/r/([A-Za-z0-9]{10})$")


class ClickFastPathMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = _CLICK_PATH.match(request.path_info)
        if (
            match is None
            or request.method not in ("GET", "HEAD")
            or (settings.SECURE_SSL_REDIRECT and not request.is_secure())
        ):
            return self.get_response(request)
        code = match.group(1).upper()
        if not code_is_well_formed(code) or link_target_get(code) is None:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS is enforced here too (DisallowedHost -> 400)
        from .views_public import click

        response = click(request, code)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY or "same-origin")
        if settings.SECURE_HSTS_SECONDS and request.is_secure():
            response.setdefault(
                "Strict-Transport-Security", f"max-age={settings.SECURE_HSTS_SECONDS}"
            )
        return response
