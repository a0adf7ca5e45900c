from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.home, name="home"),
    path("insights/", views.dashboard, name="dashboard"),
    path("insights/export/<slug:table>.csv", views.table_export, name="table-export"),
    path("insights/rows/<slug:metric>/", views.rows, name="rows"),
]
