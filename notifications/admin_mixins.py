"""What every admin log of deliveries shares (the outbox's, the campaigns' reminder log): read-only,
by date, recipients and errors shortened. Its own module so that other apps' admins can use it
without importing notifications/admin.py."""

import unicodedata

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin

SHORT = 60


def shortened(text):
    """``Truncator(text).chars(60)``; a text of 60 characters or fewer is returned as Truncator returns it (in NFC)
    without Truncator's translation of its ellipsis, which it looks up for every cell (most are short or empty)."""
    text = str(text)
    if len(text) <= SHORT:
        return unicodedata.normalize("NFC", text)
    return Truncator(text).chars(SHORT)


class DeliveryAdminMixin(ReadOnlyAdminMixin):
    date_hierarchy = "date"

    @admin.display(description=gettext_lazy("接收人"))
    def recipients_short(self, obj):
        return shortened(obj.recipients)

    @admin.display(description=gettext_lazy("错误信息"))
    def error_short(self, obj):
        return shortened(obj.last_error)
