"""18 months of generic history (notes, logins, emails); each module adds its own activities.
At `--scale large` this is where the >= 1M activities come from."""

from datetime import timedelta

from ovation.directory.models import Contact

from .models import Activity

BATCH = 10000
KINDS = [
    (Activity.Kind.NOTE, 2),
    (Activity.Kind.LOGIN, 5),
    (Activity.Kind.EMAIL_SENT, 4),
    (Activity.Kind.SOCIAL_SHARE, 1),
    (Activity.Kind.REVIEW_WRITTEN, 0.3),
]
NOTES = [
    "QBR went well; wants to present at the user conference",
    "Asked about the new forecasting module",
    "Renewal call: happy with support",
    "Mentioned they told a peer about us",
    "Onboarding completed",
    "Raised a concern about pricing",
    "Shared a dashboard on LinkedIn",
]


def already_loaded(ctx) -> bool:
    return Activity.objects.filter(source="demo").exists()


def load(ctx) -> None:
    rng = ctx.rng("activity")
    kinds, weights = zip(*KINDS, strict=True)
    per_contact = 10 if ctx.factor > 1 else 6
    rows = Contact.objects.filter(crm_id__startswith="ACME-CON-").values_list("id", "account_id")
    total = rows.count()
    batch = []
    for contact_id, account_id in ctx.track(
        rows.iterator(chunk_size=5000), description="activities", total=total
    ):
        for _ in range(rng.randint(per_contact // 2, per_contact + per_contact // 2)):
            kind = rng.choices(kinds, weights=weights)[0]
            data = {"summary": rng.choice(NOTES)} if kind == Activity.Kind.NOTE else {}
            batch.append(
                Activity(
                    contact_id=contact_id,
                    account_id=account_id,
                    kind=kind,
                    source="demo",
                    data=data,
                    occurred_at=ctx.now - timedelta(days=rng.uniform(0, 548)),
                )
            )
        if len(batch) >= BATCH:
            Activity.objects.bulk_create(batch)
            batch = []
    if batch:
        Activity.objects.bulk_create(batch)


def reset(ctx) -> None:
    Activity.objects.filter(source="demo").delete()
