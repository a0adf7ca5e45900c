from django.urls import path

from . import views

app_name = "motivation"
urlpatterns = [
    # The advocate hub.
    path("hub/for-you/", views.hub_for_you, name="hub-for-you"),
    path("hub/for-you/not-for-me/", views.hub_not_for_me, name="hub-not-for-me"),
    # Staff pages.
    path("motivation/", views.staff_index, name="index"),
    path("motivation/campaigns/", views.campaign_builder, name="staff-home"),
    path("motivation/campaigns/send/", views.campaign_send, name="campaign-send"),
    path("motivation/campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path(
        "motivation/campaigns/<int:pk>/respond/<int:prediction_id>/",
        views.campaign_respond,
        name="campaign-respond",
    ),
    path("motivation/contacts/<int:contact_id>/", views.contact_profile, name="contact-profile"),
    path("hub/for-you/panel/", views.hub_recommended_panel, name="hub-recommended-panel"),
    path("motivation/calibration/", views.calibration, name="calibration"),
    path("motivation/settings/", views.ask_type_settings, name="settings"),
]
