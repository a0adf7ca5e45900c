from django.urls import path

from . import views

app_name = "rewards"
urlpatterns = [
    # Advocate hub
    path("hub/rewards/", views.hub_catalogue, name="hub-catalogue"),
    path("hub/rewards/mine/", views.hub_my_redemptions, name="hub-mine"),
    path(
        "hub/rewards/mine/<int:redemption_id>/", views.hub_redemption_detail, name="hub-redemption"
    ),
    path("hub/rewards/<int:reward_id>/", views.hub_reward_detail, name="hub-detail"),
    path("hub/rewards/<int:reward_id>/redeem/", views.hub_redeem, name="hub-redeem"),
    path("rewards/image/<int:reward_id>/", views.reward_image, name="image"),
    # Staff
    path("rewards/", views.staff_list, name="staff-list"),
    path("rewards/new/", views.staff_create, name="staff-create"),
    path("rewards/<int:reward_id>/edit/", views.staff_edit, name="staff-edit"),
    path("rewards/fulfilment/", views.fulfilment_queue, name="fulfilment"),
    path(
        "rewards/redemptions/<int:redemption_id>/",
        views.redemption_detail,
        name="redemption-detail",
    ),
    path("rewards/policies/", views.policies, name="policies"),
]
