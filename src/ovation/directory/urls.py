from . import import_views, views

app_name = "directory"
# Pages (lists, detail, edit) and the import/export wizard keep their URL lists beside their views.
urlpatterns = [*views.urlpatterns, *import_views.urlpatterns]
