from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from ovation.core.api import require_perm
from ovation.directory.models import Contact

from . import services
from .models import Story, UsageRight
from .search import StoryFilters
from .selectors import story_list, story_search

router = Router(tags=["stories"])


class RightOut(Schema):
    channel: str
    expires_on: date | None


class StoryOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    result: str
    attribution: str
    contact_id: int
    account_id: int | None
    industry_id: int | None
    status: str
    tags: str
    link: str
    rights: list[RightOut]
    updated_at: datetime

    @staticmethod
    def resolve_rights(obj):
        return [{"channel": r.channel, "expires_on": r.expires_on} for r in obj.rights.all()]


class StoryIn(Schema):
    contact_id: int
    kind: Story.Kind = Story.Kind.QUOTE
    title: str
    body: str
    result: str = ""
    hero_title: str = ""
    tags: str = ""
    link: str = ""


class SearchQuery(Schema):
    q: str = ""
    industry_id: int | None = None
    product_id: int | None = None
    persona: str = ""
    kind: str = ""
    channel: str = ""
    limit: int = 20


class UseIn(Schema):
    channel: UsageRight.Channel
    note: str = ""


class UseOut(Schema):
    id: int
    story_id: int
    channel: str
    used_at: datetime


@router.get("/stories", response=list[StoryOut], summary="Search stories sales may use")
def search_stories(request, params: Query[SearchQuery]):
    require_perm(request, "ovation.use_references")
    filters = StoryFilters(
        industry_id=params.industry_id,
        product_id=params.product_id,
        persona=params.persona,
        kind=params.kind,
        channel=params.channel,
    )
    return story_search(params.q, filters, limit=max(1, min(params.limit, 100)))


@router.post("/stories", response={201: StoryOut}, summary="Create a draft story")
def create_story(request, payload: StoryIn):
    require_perm(request, "ovation.manage_programs", write=True)
    contact = get_object_or_404(Contact.objects.select_related("account"), pk=payload.contact_id)
    data = payload.dict(exclude={"contact_id"})
    story = services.story_create(contact=contact, actor=request.user, **data)
    return 201, story_list().get(pk=story.pk)


@router.post("/stories/{story_id}/uses", response={201: UseOut}, summary="Log a use of a story")
def log_use(request, story_id: int, payload: UseIn):
    require_perm(request, "ovation.use_references", write=True)
    story = get_object_or_404(story_list(), pk=story_id)
    use = services.story_use_record(
        story=story, channel=payload.channel, actor=request.user, note=payload.note
    )
    return 201, use
