from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.portal_documents, name="portal"),
    path("notice/<str:code>/<str:kind>/", views.notice_pdf, name="notice_pdf"),
    path("export/obligations/", views.obligations_export, name="obligations_export"),
]
