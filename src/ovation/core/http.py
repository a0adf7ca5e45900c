"""Helpers for thin views: permission checks, htmx page/partial rendering, pagination."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render


def permission_required(perm: str):
    """Log in first; then a user without `perm` gets 403 (a page, never a stack trace)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permission = perm
        return wrapped

    return decorator


def render_page(request, template: str, partial: str, context: dict):
    """One view serves the page and, for htmx requests, just its partial (STYLE.md #8)."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        return render(request, partial, context)
    return render(request, template, context)


def paginate(request, queryset, per_page: int = 50) -> dict:
    paginator = Paginator(queryset, per_page)
    page_obj = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    return {"page_obj": page_obj, "query_without_page": f"{query}&" if query else ""}
