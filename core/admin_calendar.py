"""Admin of the working-day calendar (CalendarDay): statutory holidays and make-up days that
chinese-calendar does not know yet (later years) or local exceptions. City staff edit it; every
bureau user may read it. The changelist warns about years whose statutory holidays are not all entered, naming the
missing ones."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import workdays
from core.admin import BureauPermissionMixin
from core.models import CalendarDay
from core.text import join_list
from core.xlsx_admin import XlsxAdminMixin


@admin.register(CalendarDay)
class CalendarDayAdmin(XlsxAdminMixin, BureauPermissionMixin, admin.ModelAdmin):
    city_only_write = True
    bureau_can_delete = True
    list_display = ("date", "weekday", "is_workday", "holiday", "note")
    list_filter = ("is_workday", "holiday")
    date_hierarchy = "date"
    search_fields = ("note",)

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return "一二三四五六日"[obj.date.weekday()]

    def changelist_view(self, request, extra_context=None):
        this_year = timezone.localdate().year
        for year, missing in workdays.missing_holidays(range(this_year, this_year + 2)).items():
            if len(missing) == len(CalendarDay.Holiday):
                messages.warning(
                    request,
                    _("系统内置日历不含 %(year)s 年的法定节假日，请录入该年的节假日和调休上班日；"
                      "在此之前只按周末计算非工作日。") % {"year": year},
                )
            else:
                # One entered holiday does not make the year complete: name what is still missing.
                messages.warning(
                    request,
                    _("%(year)s 年的法定节假日尚未录完：还缺 %(missing)s。请录入这些节日的放假日（选择“法定节假日”）"
                      "和调休上班日；在此之前这些节日只按周末计算非工作日。")
                    % {"year": year, "missing": join_list(h.label for h in missing)},
                )
        return super().changelist_view(request, extra_context)
