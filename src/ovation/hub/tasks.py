from django_tasks import task


@task()
def badges_evaluate_task(contact_id: int) -> int:
    """Award the rule badges a contact now qualifies for; returns how many were new."""
    from ovation.directory.models import Contact

    from .services import badges_evaluate

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return 0
    return len(badges_evaluate(contact=contact))


@task()
def level_check_task(contact_id: int, lifetime_before: int, lifetime_after: int) -> str:
    """Record `level.reached` (an Activity, hence a domain event for automations) for each level
    crossed upward; idempotent per contact and level through the activity's external id."""
    from ovation.activity.services import activity_record
    from ovation.directory.models import Contact

    from .selectors import level_for_points, levels_all

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return ""
    levels = levels_all()
    before = level_for_points(levels, lifetime_before)
    after = level_for_points(levels, lifetime_after)
    if after is None or (before is not None and before.threshold >= after.threshold):
        return ""
    activity_record(
        kind="level.reached",
        contact=contact,
        source="hub",
        external_id=f"level:{contact.pk}:{after.pk}",
        data={
            "level": after.name,
            "threshold": after.threshold,
            "summary": f"Reached level {after.name}",
        },
    )
    return after.name


@task()
def invite_bulk_task(contact_ids: list[int], invited_by_id: int | None, message: str) -> dict:
    """A large segment's invitations, in the worker: each contact in its own transaction, so
    one bad contact does not stop the rest. Safe to re-run: contacts invited meanwhile (by an
    earlier attempt of this task, or by hand) are skipped, so nobody gets the welcome twice."""
    from ovation.directory.models import Contact
    from ovation.users.models import User

    from .services import advocates_invite_bulk

    contacts = (
        Contact.objects.filter(pk__in=contact_ids)
        .exclude(hub_profile__invited_at__isnull=False)
        .select_related("user")
        .order_by("pk")
    )
    inviter = User.objects.filter(pk=invited_by_id).first() if invited_by_id else None
    invited, skipped = advocates_invite_bulk(contacts=contacts, invited_by=inviter, message=message)
    return {"invited": invited, "skipped": skipped}
