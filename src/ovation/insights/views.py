from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from ovation.activity.models import Activity
from ovation.core.http import permission_required
from ovation.directory.models import Account, Contact


@login_required
def home(request):
    """Staff landing page; advocates are sent to the hub."""
    if not request.user.is_staff_member:
        return redirect("/hub/")
    return _home(request)


@permission_required("ovation.view_directory")
def _home(request):
    contacts = Contact.objects.count()
    advocates = Contact.objects.filter(
        stage__in=[Contact.Stage.ADVOCATE, Contact.Stage.CHAMPION]
    ).count()
    hour = timezone.localtime().hour
    context = {
        "greeting": "morning" if hour < 12 else "afternoon" if hour < 18 else "evening",
        "accounts": Account.objects.exclude(status=Account.Status.PROSPECT).count(),
        "contacts": contacts,
        "advocates": advocates,
        "advocacy_rate": round(100 * advocates / contacts, 1) if contacts else 0,
        "activities_30d": Activity.objects.filter(
            occurred_at__gte=timezone.now() - timedelta(days=30)
        ).count(),
        "recent": Activity.objects.select_related("contact").order_by("-occurred_at", "-id")[:15],
        "show_contact": True,
    }
    return render(request, "insights/home.html", context)
