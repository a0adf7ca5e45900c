from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Story, StoryUse, UsageRight
from .search import StoryFilters, story_search_ids


def story_list() -> QuerySet[Story]:
    return Story.objects.select_related("contact", "account", "industry").prefetch_related(
        "products", "rights"
    )


def story_search(q: str, filters: StoryFilters = StoryFilters(), *, limit: int = 50) -> list[Story]:  # noqa: B008
    """Visible stories for sales, best match first (two queries plus prefetches)."""
    ids = story_search_ids(q, filters, limit=limit)
    stories = (
        Story.objects.select_related("contact", "account", "industry")
        .prefetch_related(
            "products", Prefetch("rights", queryset=UsageRight.objects.order_by("channel"))
        )
        .filter(id__in=ids)
    )
    by_id = {s.id: s for s in stories}
    return [by_id[i] for i in ids if i in by_id]


def story_uses_this_quarter(*, contact) -> int:
    now = timezone.localdate()
    start = now.replace(month=3 * ((now.month - 1) // 3) + 1, day=1)
    return StoryUse.objects.filter(story__contact=contact, used_at__date__gte=start).count()


def stories_for_hero(*, contact) -> QuerySet[Story]:
    since = timezone.now() - timedelta(days=92)
    return (
        Story.objects.filter(contact=contact)
        .exclude(status=Story.Status.DRAFT)
        .annotate(
            recent_uses=Count("uses", filter=Q(uses__used_at__gte=since)), total_uses=Count("uses")
        )
        .prefetch_related("rights")
        .order_by("-updated_at")
    )
