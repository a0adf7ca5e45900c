from django.conf import settings
from django.urls import NoReverseMatch, reverse


def navigation(request):
    """Staff navigation: the modules that exist (their URL resolves) and the user may use."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated or not getattr(user, "is_staff_member", False):
        return {"nav_items": []}
    items = []
    for label, url_name, perm in settings.OVATION_NAV:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if not user.has_perm(perm):
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return {"nav_items": items}
