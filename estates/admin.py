from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.xlsx_admin import XlsxAdminMixin
from estates import scoping
from estates.scoped_admin import ScopedAdmin

from .admin_filters import DistrictFilter, LevelAgencyFilter, StreetFilter  # noqa: F401 - LevelAgencyFilter for tests
from .exporters import export_estates, export_firms
from .forms import EstateAdminForm
from .importers import EstateImporter, FirmImporter
from .models import Agency, Coordinator, Estate, PropertyFirm


class OldEstateFilter(admin.SimpleListFilter):
    title = _("老小区")
    parameter_name = "old"

    def lookups(self, request, model_admin):
        return [("1", _("是（%(year)s 年前建成）") % {"year": settings.OLD_ESTATE_BEFORE_YEAR}), ("0", _("否"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.old()
        if self.value() == "0":
            return queryset.not_old()
        return queryset


@admin.register(Agency)
class AgencyAdmin(XlsxAdminMixin, ScopedAdmin):
    city_only_write = True
    list_display = ("name", "short_name", "level", "parent", "phone")
    list_filter = ("level",)
    list_select_related = ("parent",)
    search_fields = ("name", "short_name", "division_code")
    autocomplete_fields = ("parent",)
    ordering = ("path",)


@admin.register(PropertyFirm)
class PropertyFirmAdmin(XlsxAdminMixin, ScopedAdmin):
    xlsx_importer = FirmImporter
    xlsx_exporter = staticmethod(export_firms)
    xlsx_name = _("物业服务企业")
    ancestor_choice_fields = ("district",)  # a street officer registers a firm under their district
    list_display = ("name", "credit_code", "grade", "district", "contact_person", "hotline", "estate_count")
    list_filter = ("grade", DistrictFilter, "is_active")
    list_select_related = ("district",)
    search_fields = ("name", "credit_code", "contact_person")
    autocomplete_fields = ("district",)
    fieldsets = (
        (None, {"fields": ("name", "credit_code", "grade", "district", "is_active")}),
        (_("联系方式"), {
            "fields": ("address", "contact_person", "contact_phone", "email", "hotline", "complaint_phone"),
        }),
    )

    def get_queryset(self, request):
        # The count as a correlated subquery, not a GROUP BY of every estate (issue 16: 110 ms at 50,000): in the
        # page's select list PostgreSQL counts for the page's rows only, after the LIMIT (sorting by the column
        # still counts them all, as before). The same numbers, the same annotation name for the export.
        from django.db.models import Count, IntegerField, OuterRef, Subquery
        from django.db.models.functions import Coalesce

        counts = (Estate._base_manager.filter(firm=OuterRef("pk")).order_by().values("firm")
                  .annotate(n=Count("pk")).values("n"))
        return super().get_queryset(request).annotate(
            estate_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0),
        ).order_by("name", "pk")

    def get_readonly_fields(self, request, obj=None):
        # Moving a firm to another supervising district moves its firm-level records and its users there
        # (estates/scoping.py): only the city and the firm's current district may do it, not the other
        # districts and streets that see the firm because it manages an estate of theirs.
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not PropertyFirm.objects.filter(
                scoping.firm_home_q(request.user), pk=obj.pk).exists():
            readonly.append("district")
        return readonly

    @admin.display(description=_("在管小区"), ordering="estate_count")
    def estate_count(self, obj):
        return obj.estate_count


class CoordinatorInline(admin.TabularInline):
    model = Coordinator
    extra = 0
    fields = ("name", "phone", "appointed_on", "is_current")


@admin.register(Estate)
class EstateAdmin(XlsxAdminMixin, ScopedAdmin):
    xlsx_importer = EstateImporter
    xlsx_exporter = staticmethod(export_estates)
    xlsx_name = _("住宅小区")
    ancestor_choice_fields = ("district",)  # a street officer files an estate under their district
    list_display = (
        "code", "name", "district", "street", "firm", "category", "year_built", "is_old_display", "households",
    )
    list_filter = (DistrictFilter, StreetFilter, "firm__grade", "category", OldEstateFilter, "has_owners_committee")
    list_select_related = ("district", "street", "firm")
    search_fields = ("code", "name", "address", "firm__name")
    autocomplete_fields = ("district", "street", "community", "firm")
    form = EstateAdminForm
    inlines = [CoordinatorInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "address", "is_active")}),
        (_("属地"), {"fields": ("district", "street", "community")}),
        (_("物业"), {"fields": ("firm", "hotline", "complaint_phone")}),
        (_("概况"), {"fields": ("category", "year_built", "households", "floor_area", "has_owners_committee")}),
    )

    @admin.display(description=_("老小区"), boolean=True, ordering="year_built")
    def is_old_display(self, obj):
        return obj.is_old


@admin.register(Coordinator)
class CoordinatorAdmin(XlsxAdminMixin, ScopedAdmin):
    list_display = ("name", "phone", "estate", "appointed_on", "is_current")
    list_filter = ("is_current",)
    list_select_related = ("estate",)
    search_fields = ("name", "phone", "estate__name", "estate__code")
    autocomplete_fields = ("estate",)
