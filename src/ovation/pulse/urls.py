from django.urls import path

from . import views

app_name = "pulse"
urlpatterns = [
    path("pulse/", views.dashboard, name="dashboard"),
    path("pulse/campaigns/", views.campaign_list, name="campaign-list"),
    path("pulse/campaigns/new/", views.campaign_create, name="campaign-create"),
    path("pulse/campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("pulse/campaigns/<int:pk>/send/", views.campaign_send, name="campaign-send"),
    path("pulse/responses/", views.response_list, name="response-list"),
    path("pulse/follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("pulse/follow-ups/<int:pk>/", views.follow_up_update, name="follow-up-update"),
    path("pulse/definition/", views.definition, name="definition"),
    path("pulse/untapped/", views.untapped, name="untapped"),
    path("pulse/themes/", views.themes, name="themes"),
    path("pulse/transitions/", views.transition_list, name="transition-list"),
    path("s/<str:token>", views.survey, name="survey"),
    path("s/<str:token>/unsubscribe", views.survey_unsubscribe, name="survey-unsubscribe"),
]
