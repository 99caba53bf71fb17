"""A cleanup of an estate: the toy app's record, counted towards estate and firm obligations."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates import scoping
from estates.models import Estate


class Cleanup(models.Model):
    # Scope declaration (estates/scoping.py): a record located at an estate follows the estate.
    scope_links = {"estate": "estate"}
    objects = scoping.ScopedManager()  # Cleanup.objects.visible_to(user)

    estate = models.ForeignKey(Estate, verbose_name=_("小区"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("清洁日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("小区清洁")
        verbose_name_plural = pgettext_lazy("plural", "小区清洁")
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.date} {self.note}"
