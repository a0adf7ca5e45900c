from django.urls import path

from . import views

app_name = "references"
urlpatterns = [
    path("references/", views.request_list, name="request-list"),
    path("references/new/", views.request_create, name="request-create"),
    path("references/<int:request_id>/", views.request_detail, name="request-detail"),
    path("references/<int:request_id>/pick/", views.request_pick, name="request-pick"),
    path("references/<int:request_id>/cancel/", views.request_cancel, name="request-cancel"),
    path(
        "references/<int:request_id>/outcome/",
        views.opportunity_outcome,
        name="opportunity-outcome",
    ),
    path("references/<int:request_id>/why-not/", views.why_not, name="why-not"),
    path(
        "references/assignments/<int:assignment_id>/schedule/",
        views.assignment_schedule,
        name="assignment-schedule",
    ),
    path(
        "references/assignments/<int:assignment_id>/complete/",
        views.assignment_complete,
        name="assignment-complete",
    ),
    path(
        "references/assignments/<int:assignment_id>/cancel/",
        views.assignment_cancel,
        name="assignment-cancel",
    ),
    path("references/asks/log/", views.ask_log, name="ask-log"),
    path("references/asks/contacts/", views.contact_options, name="contact-options"),
    path("references/pool/", views.pool_health, name="pool-health"),
    path("references/outcomes/", views.outcomes, name="outcomes"),
    path("references/settings/", views.settings_page, name="settings"),
    path("hub/references/", views.hub_requests, name="hub-requests"),
    path("hub/references/<int:assignment_id>/accept/", views.hub_accept, name="hub-accept"),
    path("hub/references/<int:assignment_id>/decline/", views.hub_decline, name="hub-decline"),
]
