"""The suggestion box's URLs, one namespace ``suggestions`` in four parts (included at the root by
config/urls.py, before the public estate pages): the residents' public pages (``e/…``), the firms'
inbox in the portal (``portal/suggestions/…``), the league table and posters, and the hotline API
(``api/open311/v2/…``)."""

from django.urls import include, path

from . import api_urls, bureau_urls, portal_urls, public_urls

app_name = "suggestions"
urlpatterns = [
    path("e/", include(public_urls.urlpatterns)),
    path("portal/suggestions/", include(portal_urls.urlpatterns)),
    path("", include(bureau_urls.urlpatterns)),  # league table (public), posters (portal)
    path("api/open311/v2/", include(api_urls.urlpatterns)),
]
