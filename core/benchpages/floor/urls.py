from django.contrib import admin
from django.urls import path

from .views import ItemList

urlpatterns = [
    path("items/", ItemList.as_view(), name="items"),
    path("admin/", admin.site.urls),
]
