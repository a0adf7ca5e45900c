"""Template helpers: the ask-type settings form, and two inclusion tags other pages can drop in
without importing this app's Python (the directory sits below it in the dependency order):

    {% load motivation_tags %}
    {% motivation_recommended contact %}   hub home: "Recommended for you"
    {% motivation_next_best contact %}     staff contact page: "Next best ask"
"""

from django import template

register = template.Library()


@register.simple_tag
def posted_or(posted, key, field, default):
    if posted is not None:
        return posted.get(f"{key}__{field}", default)
    return default


@register.simple_tag
def weight_of(ask_type, motivator, posted=None):
    if posted is not None:
        return posted.get(f"{ask_type.key}__{motivator}", "")
    value = ask_type.motivators.get(motivator, 0)
    return f"{float(value):g}" if value else ""


@register.inclusion_tag("motivation/partials/_hub_recommended.html", takes_context=True)
def motivation_recommended(context, contact, limit=3):
    from ..selectors import recommended_asks

    return {
        "recommendations": recommended_asks(contact=contact, limit=limit),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("motivation/partials/_contact_next_best.html")
def motivation_next_best(contact, limit=3):
    from ..selectors import next_best_asks

    return {"next_best": next_best_asks(contact=contact, limit=limit)}
