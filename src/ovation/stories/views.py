from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ovation.core.errors import ServiceError
from ovation.core.http import paginate, permission_required, render_page
from ovation.hub.access import advocate_required

from . import services
from .forms import ChangesForm, SearchForm, StoryForm, UsageRightForm
from .models import Story, UsageRight
from .search import StoryFilters
from .selectors import stories_for_hero, story_list, story_search, story_uses_this_quarter


def access_story(*, pk: int) -> Story:
    return get_object_or_404(story_list(), pk=pk)


def access_hero_story(*, contact, pk: int) -> Story:
    """The advocate's own story; 404 for anyone else's and for missing alike."""
    story = Story.objects.filter(pk=pk, contact=contact).exclude(status=Story.Status.DRAFT).first()
    if story is None:
        raise Http404
    return story


@permission_required("ovation.use_references")
def search(request):
    form = SearchForm(request.GET or None)
    stories, filters = [], StoryFilters()
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        filters = StoryFilters(
            industry_id=data["industry"].pk if data.get("industry") else None,
            product_id=data["product"].pk if data.get("product") else None,
            persona=data.get("persona", ""),
            kind=data.get("kind", ""),
            channel=data.get("channel", ""),
        )
        stories = story_search(data.get("q", ""), filters, limit=30)
    context = {
        "form": form,
        "stories": stories,
        "q": request.GET.get("q", ""),
        "channel": filters.channel,
        "channels": UsageRight.Channel.choices,
    }
    return render_page(
        request, "stories/story_search.html", "stories/partials/_results.html", context
    )


@require_POST
@permission_required("ovation.use_references")
def use(request, pk):
    story = access_story(pk=pk)
    channel = request.POST.get("channel", "")
    try:
        services.story_use_record(
            story=story, channel=channel, actor=request.user, note=request.POST.get("note", "")
        )
    except ServiceError as exc:
        return HttpResponse(f'<span class="badge bad">{exc.message}</span>', status=409)
    return HttpResponse('<span class="badge ok">Use logged</span>')


@permission_required("ovation.manage_programs")
def manage(request):
    qs = story_list()
    status = request.GET.get("status", "")
    if status in Story.Status.values:
        qs = qs.filter(status=status)
    context = {
        "status": status,
        "statuses": Story.Status.choices,
        **paginate(request, qs, per_page=30),
    }
    return render_page(
        request, "stories/story_list.html", "stories/partials/_story_table.html", context
    )


def _story_kwargs(data: dict) -> dict:
    return {
        k: data[k]
        for k in (
            "kind",
            "title",
            "body",
            "result",
            "hero_title",
            "persona",
            "industry",
            "tags",
            "link",
        )
    }


@permission_required("ovation.manage_programs")
def create(request):
    form = StoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            story = services.story_create(
                contact=data["contact"],
                actor=request.user,
                products=list(data["products"]),
                **_story_kwargs(data),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, "Story saved as a draft. Send it to the customer for approval when ready."
            )
            return redirect("stories:detail", pk=story.pk)
    return render(request, "stories/story_form.html", {"form": form})


@permission_required("ovation.manage_programs")
def detail(request, pk):
    story = access_story(pk=pk)
    initial = {
        "contact_email": story.contact.email,
        "products": story.products.all(),
        **{
            k: getattr(story, k)
            for k in (
                "kind",
                "title",
                "body",
                "result",
                "hero_title",
                "persona",
                "industry",
                "tags",
                "link",
            )
        },
    }
    form = StoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.story_update(
                story=story,
                actor=request.user,
                products=list(data["products"]),
                **_story_kwargs(data),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Story updated.")
            return redirect("stories:detail", pk=story.pk)
    context = {
        "story": story,
        "form": form,
        "right_form": UsageRightForm(),
        "uses": story.uses.select_related("used_by")[:50],
    }
    return render(request, "stories/story_detail.html", context)


@require_POST
@permission_required("ovation.manage_programs")
def action(request, pk, verb):
    story = access_story(pk=pk)
    try:
        if verb == "request-approval":
            services.story_request_approval(story=story, actor=request.user)
            messages.success(request, f"Sent to {story.contact.full_name} for approval in the hub.")
        elif verb == "withdraw":
            services.story_withdraw(story=story, actor=request.user)
            messages.success(request, "Story withdrawn: sales no longer see it.")
        elif verb == "right":
            form = UsageRightForm(request.POST)
            if not form.is_valid():
                messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
            else:
                services.usage_right_set(
                    story=story,
                    channel=form.cleaned_data["channel"],
                    expires_on=form.cleaned_data["expires_on"],
                )
                messages.success(request, "Usage right saved.")
        elif verb == "remove-right":
            services.usage_right_remove(story=story, channel=request.POST.get("channel", ""))
            messages.success(request, "Usage right removed.")
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("stories:detail", pk=story.pk)


@advocate_required
def hub_list(request):
    stories = list(stories_for_hero(contact=request.contact))
    for story in stories:
        story.current_hash = Story.text_hash(story.title, story.body, story.result)
    context = {
        "stories": stories,
        "uses_this_quarter": story_uses_this_quarter(contact=request.contact),
        "changes_form": ChangesForm(),
    }
    return render(request, "stories/hub_stories.html", context)


@require_POST
@advocate_required
def hub_action(request, pk, verb):
    story = access_hero_story(contact=request.contact, pk=pk)
    try:
        if verb == "approve":
            services.story_approve(
                story=story, contact=request.contact, text_hash=request.POST.get("text_hash", "")
            )
            messages.success(request, "Thank you! Your story is approved exactly as shown.")
        elif verb == "changes":
            form = ChangesForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Please say what should change.")
            else:
                services.story_request_changes(
                    story=story, contact=request.contact, note=form.cleaned_data["note"]
                )
                messages.success(request, "Thanks, we will send you a new version.")
        elif verb == "withdraw":
            services.story_withdraw(story=story, contact=request.contact)
            messages.success(request, "Withdrawn. Nobody at Acme will use it any more.")
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("stories:hub-list")
