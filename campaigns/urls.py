from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.obligation_list, name="obligations"),
    path("obligations/<int:pk>/", views.obligation_detail, name="obligation_detail"),
    path("obligations/<int:pk>/files/<int:file_id>/", views.evidence_file, name="evidence_file"),
    path("photos/<int:pk>/", views.record_photo, name="record_photo"),
    path("trainings/", views.trainings, name="trainings"),
    path("trainings/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("trainings/<int:pk>/withdraw/", views.training_withdraw, name="training_withdraw"),
    path("activities/", views.activities, name="activities"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/withdraw/", views.activity_withdraw, name="activity_withdraw"),
    path("coordinators/", views.coordinators, name="coordinators"),
    path("coordinators/template/", views.roster_template, name="roster_template"),
    path("coordinators/upload/", views.roster_upload, name="roster_upload"),
]
