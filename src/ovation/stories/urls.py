from django.urls import path

from . import views

app_name = "stories"
urlpatterns = [
    path("stories/", views.search, name="search"),
    path("stories/manage/", views.manage, name="manage"),
    path("stories/new/", views.create, name="new"),
    path("stories/<int:pk>/", views.detail, name="detail"),
    path("stories/<int:pk>/use", views.use, name="use"),
    path("stories/<int:pk>/<slug:verb>", views.action, name="action"),
    path("hub/stories/", views.hub_list, name="hub-list"),
    path("hub/stories/<int:pk>/<slug:verb>", views.hub_action, name="hub-action"),
]
