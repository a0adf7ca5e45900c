"""Template helpers for hub pages: the hub navigation and small labels."""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from ..models import Challenge

register = template.Library()

KIND_ICONS = {
    "review": "★",
    "social_share": "↗",
    "referral": "♥",
    "reference_call": "☎",
    "case_study": "✎",
    "webinar": "▶",
    "speaking": "◉",
    "panel": "☰",
    "media_interview": "✉",
    "event": "✦",
    "cab": "⚑",
    "beta": "β",
    "feedback": "✓",
    "learning": "◆",
    "quiz": "?",
    "custom": "✱",
}


@register.simple_tag(takes_context=True)
def hub_nav(context):
    """The hub navigation from settings.OVATION_HUB_NAV, skipping links whose app is absent."""
    request = context.get("request")
    path = request.path if request else ""
    items = []
    for label, url_name in settings.OVATION_HUB_NAV:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = path == url if url_name == "hub:home" else path.startswith(url)
        items.append({"label": label, "url": url, "active": active, "name": url_name})
    return items


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "✱")


@register.filter
def effort_label(minutes: int) -> str:
    return dict(Challenge.EFFORT_CHOICES).get(minutes, f"{minutes} min")


@register.filter
def kind_family(kind: str) -> str:
    """Colour family of a challenge type on cards."""
    families = {
        "voice": {"review", "social_share", "case_study", "media_interview"},
        "stage": {"speaking", "panel", "webinar", "event"},
        "peers": {"referral", "reference_call", "cab"},
        "say": {"beta", "feedback"},
        "learn": {"learning", "quiz"},
    }
    for family, kinds in families.items():
        if kind in kinds:
            return family
    return "other"


@register.simple_tag(takes_context=True)
def hub_points(context):
    """Spendable points of the signed-in advocate, for the header chip (one query)."""
    progress = context.get("progress")
    if progress is not None:
        return progress.spendable
    request = context.get("request")
    contact = getattr(request, "contact", None)
    if contact is None:
        return None
    from ..selectors import contact_points

    return contact_points(contact=contact)[0]


@register.filter
def initials(name: str) -> str:
    parts = [p for p in (name or "").split() if p]
    return "".join(p[0].upper() for p in parts[:2]) or "A"
