"""Staff pages for accounts and contacts."""

urlpatterns: list = []
