from django.conf import settings
from django.urls import NoReverseMatch, reverse


def navigation(request):
    """Staff navigation: the modules that exist (their URL resolves) and the user may use."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated or not getattr(user, "is_staff_member", False):
        return {"nav_items": []}
    items: list[dict] = []
    menus: dict[str, dict] = {}
    for menu, label, url_name, perm in settings.OVATION_NAV:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        if not user.has_perm(perm):
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        link = {"label": label, "url": url, "active": active}
        if not menu:
            items.append(link)
        elif menu in menus:
            menus[menu]["children"].append(link)
            menus[menu]["active"] |= active
        else:
            menus[menu] = {"label": menu, "children": [link], "active": active}
            items.append(menus[menu])
    # A menu with a single entry is just that link.
    items = [item["children"][0] if len(item.get("children", ())) == 1 else item for item in items]
    return {"nav_items": items}
