"""Infrastructure glue: when another module records something a badge rule counts (a referral,
a reference, joining a program), evaluate that contact's badges in a task keyed by contact id
(awarding is idempotent, so a retry is harmless). When lifetime points rise across a level
threshold, record `level.reached` once per contact and level."""

BADGE_EVENT_TYPES = {"referral.made", "referral.converted", "reference.given", "program.joined"}


def on_event_committed(sender, event, **kwargs):
    if event.type == "points.earned":
        from .tasks import level_check_task

        data = event.data or {}
        level_check_task.enqueue(
            contact_id=event.contact_id,
            lifetime_before=data.get("lifetime_before", 0),
            lifetime_after=data.get("lifetime_after", 0),
        )
        return
    if event.type not in BADGE_EVENT_TYPES:
        return
    contact_id = event.contact_id or (event.data or {}).get("contact_id")
    if not contact_id:
        return
    from .tasks import badges_evaluate_task

    badges_evaluate_task.enqueue(contact_id=contact_id)
