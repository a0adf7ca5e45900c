app_name = "references"
urlpatterns: list = []
