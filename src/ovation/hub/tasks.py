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
