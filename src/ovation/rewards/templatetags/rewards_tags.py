from django import template
from django.templatetags.static import static
from django.urls import reverse

register = template.Library()


@register.simple_tag
def reward_image_url(reward) -> str:
    """The uploaded image, or the illustration for the reward's kind."""
    if reward.image_type:
        return (
            reverse("rewards:image", args=[reward.pk]) + f"?v={int(reward.updated_at.timestamp())}"
        )
    return static(f"rewards/kinds/{reward.kind}.svg")


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
