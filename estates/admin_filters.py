"""List filters by district and street that other apps' admins reuse (campaigns' obligations and
activities): a module of their own, because no app imports another app's admin (.importlinter)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import scoping
from .models import Agency


class LevelAgencyFilter(admin.SimpleListFilter):
    """Filter by an agency of one level, offering only agencies the user may see."""

    level = None
    field = None

    def lookups(self, request, model_admin):
        qs = scoping.restrict(Agency.objects.filter(level=self.level), request.user, **scoping.AGENCY_LINKS)
        if not (request.user.is_superuser or request.user.agency_id):
            return []
        return [(a.pk, a.display_name) for a in qs.only("pk", "name", "short_name")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.field}_id": self.value()})
        return queryset


class DistrictFilter(LevelAgencyFilter):
    title = _("所属区")
    parameter_name = "district"
    level = Agency.Level.DISTRICT
    field = "district"


class StreetFilter(LevelAgencyFilter):
    title = _("所属街道")
    parameter_name = "street"
    level = Agency.Level.STREET
    field = "street"
