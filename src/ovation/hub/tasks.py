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
