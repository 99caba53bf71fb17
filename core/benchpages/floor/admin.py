from django.contrib import admin

from .models import Item


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "address", "households", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "code"]
    list_per_page = 100
