from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.obligation_list, name="obligations"),
    path("obligations/<int:pk>/", views.obligation_detail, name="obligation_detail"),
    path("obligations/<int:pk>/files/<int:file_id>/", views.evidence_file, name="evidence_file"),
    path("photos/<int:pk>/", views.record_photo, name="record_photo"),
    path("trainings/", views.trainings, name="trainings"),
    path("activities/", views.activities, name="activities"),
    path("coordinators/", views.coordinators, name="coordinators"),
    path("coordinators/template/", views.roster_template, name="roster_template"),
    path("coordinators/upload/", views.roster_upload, name="roster_upload"),
]
