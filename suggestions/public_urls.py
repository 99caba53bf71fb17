"""public pages of the suggestion box (see suggestions/urls.py)."""

urlpatterns = []
