"""The hotline API of the suggestion box (Open311 GeoReport v2 in shape; suggestions/api.py, docs/open311.yaml)."""

from django.urls import path

from . import api

urlpatterns = [
    path("services.json", api.services, name="api_services"),
    path("requests.json", api.requests, name="api_requests"),
    path("requests/<str:service_request_id>.json", api.request_detail, name="api_request"),
]
