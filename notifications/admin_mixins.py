"""What every admin log of deliveries shares (the outbox's, the campaigns' reminder log): read-only,
by date, recipients and errors shortened. Its own module so that other apps' admins can use it
without importing notifications/admin.py."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin


class DeliveryAdminMixin(ReadOnlyAdminMixin):
    date_hierarchy = "date"

    @admin.display(description=gettext_lazy("接收人"))
    def recipients_short(self, obj):
        return Truncator(obj.recipients).chars(60)

    @admin.display(description=gettext_lazy("错误信息"))
    def error_short(self, obj):
        return Truncator(obj.last_error).chars(60)
