from django.urls import path

from . import views_hub, views_public, views_staff

app_name = "referrals"
urlpatterns = [
    # Public: the click path (no trailing slash: one hop), landing page, confirmation.
    path("r/<str:code>", views_public.click, name="click"),
    path("refer/<slug:slug>/", views_public.landing, name="landing"),
    path("refer/<slug:slug>/image", views_public.program_image, name="program-image"),
    path("refer/<slug:slug>/thanks/", views_public.thanks, name="thanks"),
    path("refer/confirm/<str:token>/", views_public.confirm, name="confirm"),
    path("referrals/webhooks/crm/", views_public.crm_webhook, name="crm-webhook"),
    # Advocates.
    path("hub/refer/", views_hub.hub_links, name="hub-links"),
    # Staff.
    path("referrals/", views_staff.staff_home, name="staff-home"),
    path("referrals/export.csv", views_staff.analytics_csv, name="analytics-csv"),
    path("referrals/programs/", views_staff.program_list, name="program-list"),
    path("referrals/programs/new/", views_staff.program_edit, name="program-create"),
    path("referrals/programs/<int:pk>/", views_staff.program_edit, name="program-edit"),
    path("referrals/leads/", views_staff.lead_list, name="lead-list"),
    path("referrals/leads/<int:pk>/", views_staff.lead_detail, name="lead-detail"),
    path("referrals/leads/<int:pk>/stage/", views_staff.lead_stage, name="lead-stage"),
    path("referrals/leads/<int:pk>/review/", views_staff.lead_review, name="lead-review"),
]
