from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("firm/", views.firm_edit, name="firm_edit"),
    path("estates.xlsx", views.estate_export, name="estate_export"),
    path("estates/<str:code>/", views.estate_edit, name="estate_edit"),
]
