"""API authentication: `Authorization: Bearer <token>` or the staff session (browser, CSRF)."""

from ninja.security import APIKeyCookie, HttpBearer

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_scope = api_token.scope
        return api_token


class StaffSessionAuth(APIKeyCookie):
    """The logged-in staff session, for the staff app's own htmx calls; CSRF is checked."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.api_scope = "write"
            return user
        return None


api_auth = [TokenAuth(), StaffSessionAuth()]
