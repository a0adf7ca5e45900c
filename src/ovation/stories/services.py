"""Stories: written by staff, approved word for word by the customer, used by sales within their
usage rights. Every step is recorded on the hero's timeline."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from ovation.activity.services import activity_record
from ovation.core.errors import Conflict, ServiceError
from ovation.directory.models import Contact, Product

from .models import Story, StoryUse, UsageRight

EDITABLE = (
    "kind",
    "title",
    "body",
    "result",
    "hero_title",
    "industry",
    "persona",
    "tags",
    "link",
    "account",
)
TEXT_FIELDS = ("title", "body", "result")


def _facets(story: Story) -> str:
    parts = [
        story.contact.full_name,
        story.account.name if story.account_id else "",
        story.industry.name if story.industry_id else "",
        story.get_persona_display() if story.persona else "",
        story.get_kind_display(),
    ]
    if story.pk:
        parts += [p.name for p in story.products.all()]
    return " ".join(p for p in parts if p)


def _validate(fields: dict) -> None:
    for name in ("title", "body"):
        if name in fields and not str(fields[name] or "").strip():
            raise ServiceError(f"{name} is required", field=name)
    if "kind" in fields and fields["kind"] not in Story.Kind.values:
        raise ServiceError(f"unknown kind {fields['kind']!r}", field="kind")


@transaction.atomic
def story_create(
    *,
    contact: Contact,
    title: str,
    body: str,
    actor=None,
    products: list[Product] | None = None,
    **fields,
) -> Story:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    _validate({"title": title, "body": body, **fields})
    fields.setdefault("account", contact.account)
    fields.setdefault("hero_title", contact.title)
    if "industry" not in fields and contact.account_id:
        fields["industry"] = contact.account.industry
    fields.setdefault("persona", contact.persona)
    story = Story.objects.create(
        contact=contact, title=title.strip(), body=body.strip(), created_by=actor, **fields
    )
    if products:
        story.products.set(products)
    story.facets_text = _facets(story)
    story.save(update_fields=["facets_text"])
    return story


@transaction.atomic
def story_update(
    *, story: Story, actor=None, products: list[Product] | None = None, **fields
) -> Story:
    """Edit a story. Changing the words of an approved story sends it back to the customer: sales
    can no longer see it until they approve the new text."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    _validate(fields)
    story = Story.objects.select_for_update().get(pk=story.pk)
    changed = [k for k, v in fields.items() if getattr(story, k) != v]
    for k in changed:
        setattr(story, k, fields[k])
    if products is not None:
        story.products.set(products)
    if story.status == Story.Status.APPROVED and any(f in changed for f in TEXT_FIELDS):
        story.status = Story.Status.PENDING
        changed.append("status")
    story.facets_text = _facets(story)
    story.save(update_fields=[*changed, "facets_text", "updated_at"])
    return story


@transaction.atomic
def story_request_approval(*, story: Story, actor=None) -> Story:
    """Ask the hero to approve the exact text in the hub."""
    if story.status == Story.Status.WITHDRAWN:
        raise Conflict("the customer withdrew this story", field="status")
    story.status = Story.Status.PENDING
    story.save(update_fields=["status", "updated_at"])
    activity_record(
        kind="story.approval_requested",
        contact=story.contact,
        source="stories",
        actor=actor,
        data={"story_id": story.pk, "summary": f"Asked to approve “{story.title}”"},
    )
    return story


@transaction.atomic
def story_approve(*, story: Story, contact: Contact, text_hash: str) -> Story:
    """The hero approves the text they were shown (`text_hash` of it): if it changed meanwhile,
    nothing is approved."""
    story = Story.objects.select_for_update().get(pk=story.pk)
    if story.contact_id != contact.pk:
        raise ServiceError("only the person in the story can approve it", field="contact")
    if story.status not in (Story.Status.PENDING, Story.Status.CHANGES_REQUESTED):
        raise Conflict("this story is not waiting for your approval", field="status")
    current = Story.text_hash(story.title, story.body, story.result)
    if text_hash != current:
        raise Conflict("the text changed since you opened it; please read it again", field="text")
    story.status = Story.Status.APPROVED
    story.approved_text_hash = current
    story.approved_at = timezone.now()
    story.customer_note = ""
    story.save(
        update_fields=["status", "approved_text_hash", "approved_at", "customer_note", "updated_at"]
    )
    activity_record(
        kind="story.approved",
        contact=contact,
        source="hub",
        data={"story_id": story.pk, "summary": f"Approved “{story.title}”"},
    )
    return story


@transaction.atomic
def story_request_changes(*, story: Story, contact: Contact, note: str) -> Story:
    if story.contact_id != contact.pk:
        raise ServiceError("only the person in the story can ask for changes", field="contact")
    if not note.strip():
        raise ServiceError("say what should change", field="note")
    story.status = Story.Status.CHANGES_REQUESTED
    story.customer_note = note.strip()[:2000]
    story.save(update_fields=["status", "customer_note", "updated_at"])
    return story


@transaction.atomic
def story_withdraw(*, story: Story, contact: Contact | None = None, actor=None) -> Story:
    """Withdrawn stories disappear from sales' search at once."""
    if contact is not None and story.contact_id != contact.pk:
        raise ServiceError("only the person in the story can withdraw it", field="contact")
    story.status = Story.Status.WITHDRAWN
    story.save(update_fields=["status", "updated_at"])
    activity_record(
        kind="story.withdrawn",
        contact=story.contact,
        source="hub" if contact else "stories",
        actor=actor,
        data={"story_id": story.pk, "summary": f"Withdrew “{story.title}”"},
    )
    return story


@transaction.atomic
def usage_right_set(*, story: Story, channel: str, expires_on: date | None) -> UsageRight:
    if channel not in UsageRight.Channel.values:
        raise ServiceError(f"unknown channel {channel!r}", field="channel")
    right, _ = UsageRight.objects.update_or_create(
        story=story, channel=channel, defaults={"expires_on": expires_on}
    )
    return right


@transaction.atomic
def usage_right_remove(*, story: Story, channel: str) -> None:
    UsageRight.objects.filter(story=story, channel=channel).delete()


@transaction.atomic
def story_use_record(*, story: Story, channel: str, actor=None, note: str = "") -> StoryUse:
    """Log a use (e.g. a quote copied into a sales email). Refused when the story is not usable in
    that channel today."""
    if not story.is_text_approved:
        raise Conflict("this story is not approved by the customer", field="story")
    right = story.rights.filter(channel=channel).first()
    if right is None or not right.is_live():
        raise Conflict(f"no live usage right for {channel}", field="channel")
    use = StoryUse.objects.create(story=story, channel=channel, used_by=actor, note=note[:300])
    activity_record(
        kind="story.used",
        contact=story.contact,
        source="stories",
        actor=actor,
        data={
            "story_id": story.pk,
            "channel": channel,
            "summary": f"“{story.title}” used ({channel})",
        },
        publish=False,
    )
    return use
