"""Access to the hub: only a signed-in advocate linked to a directory contact gets in, and
every hub view works on `request.contact`, never on an id taken from the request."""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect, render

from ovation.directory.models import Contact


def current_contact(request) -> Contact | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "role", None) != "advocate":
        return None
    return (
        Contact.objects.select_related("account", "hub_profile")
        .filter(user=user, is_active=True)
        .first()
    )


def advocate_required(view):
    """Redirect to the hub login unless the user is an advocate with a contact record;
    sets `request.contact`. Staff members get a page explaining the hub is for advocates."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        contact = current_contact(request)
        if contact is None:
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and getattr(user, "is_staff_member", False)
            ):
                return render(request, "hub/staff_notice.html", status=403)
            return redirect("/hub/login/?" + urlencode({"next": request.get_full_path()}))
        request.contact = contact
        return view(request, *args, **kwargs)

    wrapped.advocate_only = True
    return wrapped
