"""Pages residents open without an account (the QR codes on printed notices point here)."""

from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("<str:code>/", views.public_estate, name="estate"),
]
