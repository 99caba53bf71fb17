from django.urls import path

from . import job_views

app_name = "jobs"
urlpatterns = [
    path("<uuid:pk>/", job_views.job_detail, name="detail"),
    path("<uuid:pk>/status/", job_views.job_status, name="status"),
    path("<uuid:pk>/download/", job_views.job_download, name="download"),
]
