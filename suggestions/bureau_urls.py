"""Bureau-side pages of the suggestion box (see suggestions/urls.py): the public league table under
``e/league/`` (lower-case words: estate codes are upper-case, so no estate page is shadowed) and the
poster downloads for firm users and bureau staff."""

from django.urls import path

from . import bureau_views as views

urlpatterns = [
    path("e/league/", views.league_index, name="league_index"),
    path("e/league/<int:district_id>/", views.league, name="league"),
    path("suggestions/posters/", views.poster_page, name="posters"),
    path("suggestions/posters/batch/", views.poster_batch, name="poster_batch"),
    path("suggestions/posters/<str:code>.pdf", views.poster_pdf, name="poster_pdf"),
]
