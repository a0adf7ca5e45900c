"""Formatting for NPS figures: signed points, percentages, the category of a score."""

from django import template

from ..stats import category as score_category

register = template.Library()


@register.filter
def nps(value):
    if value is None:
        return "—"
    return f"{value:+.0f}" if round(value) != 0 else "0"


@register.filter
def moe(value):
    return "" if value is None else f"±{value:.0f}"


@register.filter
def pct(value, digits=1):
    if value is None:
        return "—"
    return f"{value:.{int(digits)}f}%"


@register.filter
def category(score):
    try:
        return score_category(int(score))
    except (TypeError, ValueError):
        return ""


@register.filter
def badge_class(score):
    return {"promoter": "ok", "passive": "warn", "detractor": "bad"}.get(category(score), "")


@register.filter
def bar_width(value):
    """A 0-100 number as a CSS width, clamped."""
    if value is None:
        return "0%"
    return f"{max(0.0, min(100.0, float(value))):.1f}%"
