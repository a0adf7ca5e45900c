from django.urls import path

from . import views

app_name = "automations"
urlpatterns = [
    path("automations/", views.rule_list, name="rule-list"),
    path("automations/rules/new/", views.rule_create, name="rule-create"),
    path("automations/rules/<int:rule_id>/", views.rule_detail, name="rule-detail"),
    path("automations/rules/<int:rule_id>/edit/", views.rule_edit, name="rule-edit"),
    path("automations/rules/<int:rule_id>/dry-run/", views.rule_dry_run, name="rule-dry-run"),
    path("automations/rules/<int:rule_id>/toggle/", views.rule_toggle, name="rule-toggle"),
    path("automations/rules/<int:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path("automations/follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("automations/follow-ups/<int:task_id>/done/", views.follow_up_done, name="follow-up-done"),
    path("automations/webhooks/", views.endpoint_list, name="endpoint-list"),
    path("automations/webhooks/<int:endpoint_id>/", views.endpoint_detail, name="endpoint-detail"),
    path(
        "automations/webhooks/<int:endpoint_id>/action/",
        views.endpoint_action,
        name="endpoint-action",
    ),
    path(
        "automations/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery-detail"
    ),
    path(
        "automations/deliveries/<int:delivery_id>/replay/",
        views.delivery_replay,
        name="delivery-replay",
    ),
    path("automations/emails/", views.email_list, name="email-list"),
    path("automations/emails/<slug:name>/", views.email_preview, name="email-preview"),
    path("automations/jobs/", views.job_list, name="job-list"),
    path("automations/jobs/<uuid:job_id>/retry/", views.job_retry, name="job-retry"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("hooks/crm/", views.crm_hook, name="crm-hook"),
]
