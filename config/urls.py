from django.conf import settings
from django.contrib import admin
from django.urls import include, path

# Every app owns its own paths (see each app's urls.py); this file only mounts them.
urlpatterns = [
    path("", include("ovation.api.urls")),
    path("auth/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("ovation.core.urls")),
    *[
        path("", include(f"ovation.{app}.urls"))
        for app in (
            "users",
            "directory",
            "activity",
            "ledger",
            "pulse",
            "hub",
            "rewards",
            "references",
            "referrals",
            "motivation",
            "programs",
            "stories",
            "automations",
            "insights",
        )
    ],
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
