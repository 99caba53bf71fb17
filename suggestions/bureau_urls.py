"""bureau-side pages of the suggestion box: the public league table, poster downloads (see suggestions/urls.py)."""

urlpatterns = []
