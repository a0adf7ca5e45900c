from . import views

app_name = "users"
urlpatterns = views.urlpatterns
