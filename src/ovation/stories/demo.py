"""100 customer stories (x scale): quotes, testimonials, case studies, reviews and videos, most
approved with usage rights, some pending, expired or withdrawn, and a history of uses."""

from datetime import timedelta

from django.utils import timezone

from ovation.directory.models import Contact, Product
from ovation.users.models import User

from .models import Story, StoryUse, UsageRight

RESULTS = [
    ("closed the books in {n} days instead of {m}", "ROI, finance, month-end close"),
    ("cut reporting time by {p}%", "ROI, productivity, reporting"),
    ("replaced {n} spreadsheets with one dashboard", "migration, spreadsheets"),
    ("saved ${k}k a year in licence costs", "ROI, cost savings"),
    ("went live in {n} weeks", "onboarding, implementation, time to value"),
    ("gave {n}00 field staff self-service analytics", "adoption, self-service"),
    ("passed the audit with zero findings", "governance, compliance, audit"),
    ("forecast accuracy up {p}%", "forecasting, planning"),
]
QUOTES = [
    "Before Acme, {task} took my team {m} days. Now it takes {n}. We spend the time on questions that matter.",
    "The onboarding team treated our rollout like their own project. We were live in {n} weeks.",
    "{product} is the first tool our {team} actually asked for. Adoption took care of itself.",
    "We evaluated three vendors. Acme was the only one that let us prove ROI in the pilot: {p}% less reporting work.",
    "Our auditors asked how we track lineage. I opened {product} and the conversation was over.",
    "I used to defend our numbers in every board meeting. Now the board asks for the dashboard link.",
]
TASKS = [
    "month-end close",
    "the weekly sales report",
    "board reporting",
    "regulatory reporting",
    "capacity planning",
]
TEAMS = [
    "finance team",
    "nurses' managers",
    "store managers",
    "plant supervisors",
    "field engineers",
]


def already_loaded(ctx) -> bool:
    return Story.objects.filter(tags__contains="demo").exists()


def load(ctx) -> None:
    rng = ctx.rng("stories")
    products = list(Product.objects.all())
    contacts = list(
        Contact.objects.filter(crm_id__startswith="ACME-CON-", account__isnull=False)
        .select_related("account", "account__industry")
        .order_by("-stage", "id")[: 400 * ctx.factor]
    )
    if not contacts:
        return
    staff = list(User.objects.filter(role__in=[User.Role.SALES, User.Role.MANAGER]))
    n = 100 * ctx.factor
    today = timezone.localdate()
    stories, rights, uses = [], [], []
    for i in ctx.track(range(n), description="stories", total=n):
        contact = contacts[rng.randrange(len(contacts))]
        product = rng.choice(products) if products else None
        values = {
            "n": rng.randint(2, 6),
            "m": rng.randint(8, 15),
            "p": rng.randint(20, 70),
            "k": rng.randint(40, 400),
            "task": rng.choice(TASKS),
            "team": rng.choice(TEAMS),
            "product": product.name if product else "Acme",
        }
        result, tags = rng.choice(RESULTS)
        kind = rng.choices(Story.Kind.values, weights=[40, 25, 15, 12, 8])[0]
        status = rng.choices(
            [
                Story.Status.APPROVED,
                Story.Status.PENDING,
                Story.Status.DRAFT,
                Story.Status.WITHDRAWN,
                Story.Status.CHANGES_REQUESTED,
            ],
            weights=[70, 12, 8, 5, 5],
        )[0]
        title = f"{contact.account.name}: {result.format(**values)}"
        body = rng.choice(QUOTES).format(**values)
        story = Story(
            kind=kind,
            title=title[:200],
            body=body,
            result=result.format(**values),
            contact=contact,
            account=contact.account,
            hero_title=contact.title,
            industry=contact.account.industry,
            persona=contact.persona,
            tags=f"{tags}, demo",
            status=status,
            link=f"https://www.example.com/stories/{i}" if kind in ("video", "review") else "",
            facets_text=" ".join(
                filter(
                    None,
                    [
                        contact.full_name,
                        contact.account.name,
                        contact.account.industry.name if contact.account.industry else "",
                        contact.get_persona_display(),
                        product.name if product else "",
                    ],
                )
            ),
        )
        if status == Story.Status.APPROVED:
            story.approved_text_hash = Story.text_hash(story.title, story.body, story.result)
            story.approved_at = ctx.now - timedelta(days=rng.uniform(5, 400))
        stories.append((story, product))
    Story.objects.bulk_create([s for s, _ in stories], batch_size=2000)
    through = Story.products.through
    through.objects.bulk_create(
        [through(story_id=s.pk, product_id=p.pk) for s, p in stories if p], batch_size=5000
    )
    for story, _ in stories:
        if story.status in (Story.Status.APPROVED, Story.Status.WITHDRAWN):
            for channel in rng.sample(UsageRight.Channel.values, rng.randint(1, 3)):
                expires = (
                    None if rng.random() < 0.5 else today + timedelta(days=rng.randint(-120, 500))
                )
                rights.append(UsageRight(story=story, channel=channel, expires_on=expires))
        if story.status == Story.Status.APPROVED and staff:
            for _ in range(rng.randint(0, 12)):
                uses.append(
                    StoryUse(
                        story=story,
                        channel=UsageRight.Channel.SALES_EMAIL,
                        used_by=rng.choice(staff),
                        used_at=ctx.now - timedelta(days=rng.uniform(0, 300)),
                    )
                )
    UsageRight.objects.bulk_create(rights, batch_size=5000, ignore_conflicts=True)
    StoryUse.objects.bulk_create(uses, batch_size=5000)


def reset(ctx) -> None:
    Story.objects.filter(tags__contains="demo").delete()
