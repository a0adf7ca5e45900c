from django.http import HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from .models import Click


def click(request, code):
    Click.objects.create(
        link_id=1,
        program_id=1,
        clicked_at=timezone.now(),
        ip_hash="0" * 32,
        agent="browser",
        referer_host="",
        channel="",
    )
    return HttpResponseRedirect("/landing/")


urlpatterns = [path("r/<str:code>", click)]
