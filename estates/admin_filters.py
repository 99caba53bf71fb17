"""List filters by district and street that other apps' admins reuse (campaigns' obligations and
activities): a module of their own, because no app imports another app's admin (.importlinter)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import scoping
from .models import Agency


def _chosen(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def narrow_streets(agencies, request):
    """The street choices of a list filter: the chosen district's streets; without a chosen district, every street
    of the user's area for district and street staff, and for a whole city's staff only the street already chosen
    (a link, a bookmark): a city of 50,000 estates has 900 streets, a list nobody reads rendered on every request,
    so they choose the district first. A filter without choices is not applied by Django: the chosen street stays
    among them, so ``?street=`` alone still filters."""
    district = _chosen(request, "district")
    if district is not None:
        return agencies.filter(parent_id=district)
    user = request.user
    if user.is_superuser or (user.agency_id and user.agency.level == Agency.Level.CITY):
        street = _chosen(request, "street")
        return agencies.filter(pk=street) if street is not None else agencies.none()
    return agencies


class LevelAgencyFilter(admin.SimpleListFilter):
    """Filter by an agency of one level, offering only agencies the user may see (streets: narrow_streets)."""

    level = None
    field = None

    def lookups(self, request, model_admin):
        qs = scoping.restrict(Agency.objects.filter(level=self.level), request.user, **scoping.AGENCY_LINKS)
        if not (request.user.is_superuser or request.user.agency_id):
            return []
        if self.level == Agency.Level.STREET:
            qs = narrow_streets(qs, request)
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
