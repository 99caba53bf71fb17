"""The suggestion box's section of the campaign summary report (registered in core/report_sections.py
from SuggestionsConfig.ready; documents renders it without knowing this app)."""

from django.utils.translation import gettext_lazy as _

from core import report_sections

from .selectors import stats


def suggestion_section(*, campaign, user, agency, start, end):
    """The figures of the report's area from the campaign's start to the report date: by district for the
    city's report, by street for a district's; always shown (no entries is a finding too)."""
    from estates.models import Agency

    is_district = agency.level == Agency.Level.DISTRICT
    by = "street" if is_district else "district"
    rows = stats.suggestion_stats(user=user, by=by, date_range=stats.Range(start, end),
                                  district=agency if is_district else None)
    return {"rows": rows, "totals": stats.totals(rows), "by_label": stats.GROUPING_LABELS[by],
            "start": start, "end": end}


def register():
    report_sections.register(report_sections.ReportSection(
        key="suggestions", title=_("网上意见箱办理情况"), order=10,
        template="print/report_sections/suggestions.html", context=suggestion_section))
