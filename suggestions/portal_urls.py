"""The firm's inbox in the portal (see suggestions/urls.py; views in portal_views.py).

Entries are addressed by their number (``YJ…``, upper case); the reply templates' lower-case
``templates/`` can never be a number."""

from django.urls import path

from . import portal_views as views

urlpatterns = [
    path("", views.inbox_list, name="inbox"),
    path("templates/", views.reply_template_list, name="reply_templates"),
    path("templates/<int:pk>/", views.reply_template_edit, name="reply_template_edit"),
    path("templates/<int:pk>/delete/", views.reply_template_delete, name="reply_template_delete"),
    path("<str:number>/", views.inbox_detail, name="inbox_detail"),
    path("<str:number>/acknowledge/", views.inbox_acknowledge, name="inbox_acknowledge"),
    path("<str:number>/start/", views.inbox_start, name="inbox_start"),
    path("<str:number>/reply/", views.inbox_reply, name="inbox_reply"),
    path("<str:number>/resolve/", views.inbox_resolve, name="inbox_resolve"),
    path("<str:number>/close/", views.inbox_close, name="inbox_close"),
    path("<str:number>/refer/", views.inbox_refer, name="inbox_refer"),
    path("<str:number>/photos/<int:pk>/", views.inbox_photo, name="inbox_photo"),
    path("<str:number>/photos/<int:pk>/thumb/", views.inbox_photo, {"size": "thumb"}, name="inbox_photo_thumb"),
]
