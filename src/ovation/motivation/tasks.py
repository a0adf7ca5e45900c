"""Background work: refresh one contact's profile after they answered an ask somewhere."""

from django_tasks import task

from ovation.directory.models import Contact


@task()
def profile_refresh_task(contact_id: int) -> None:
    from .services import profile_refresh

    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is not None:
        profile_refresh(contact=contact)
