app_name = "motivation"
urlpatterns: list = []
