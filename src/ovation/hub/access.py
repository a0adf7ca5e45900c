"""Access to the hub: only a signed-in advocate linked to a directory contact gets in, and
every hub view works on `request.contact`, never on an id taken from the request."""

from functools import wraps

from django.shortcuts import redirect

from ovation.directory.models import Contact


def current_contact(request) -> Contact | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Contact.objects.select_related("account").filter(user=user, is_active=True).first()


def advocate_required(view):
    """Redirect to the hub login unless the user is an advocate with a contact record;
    sets `request.contact`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        contact = current_contact(request)
        if contact is None:
            return redirect(f"/hub/login/?next={request.get_full_path()}")
        request.contact = contact
        return view(request, *args, **kwargs)

    wrapped.advocate_only = True
    return wrapped
