"""Public pages of the suggestion box (see suggestions/urls.py), under ``e/``.

Words here are lower-case: estate codes are upper-case, so ``e/find/`` never shadows an estate's
page ``e/<code>/`` (config/urls.py includes these first).
"""

from django.urls import path

from . import public_views as views

urlpatterns = [
    path("find/", views.find, name="find"),
    path("text-size/", views.text_size, name="text_size"),
    path("<str:code>/suggest/", views.suggest, name="suggest"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/photos/<int:pk>/", views.track_photo, name="track_photo"),
    path("track/<str:token>/photos/<int:pk>/thumb/", views.track_photo, {"thumbnail": True},
         name="track_photo_thumb"),
]
