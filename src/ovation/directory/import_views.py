"""Import wizard (upload, column mapping, preview, run) and exports, for staff."""

urlpatterns: list = []
