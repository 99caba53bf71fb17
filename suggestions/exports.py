"""Excel exports of the suggestion box (core/xlsx: write-only workbooks, formula-injection safe)."""

from django.utils.translation import gettext as _

from core.xlsx import ExportColumn, write_xlsx

from .selectors import stats


def stats_columns(by):
    return [
        ExportColumn(str(stats.GROUPING_LABELS[by]), width=30),
        ExportColumn(_("意见数")),
        ExportColumn(_("应受理数")), ExportColumn(_("按时受理数")), ExportColumn(_("按时受理率（%）")),
        ExportColumn(_("应答复数")), ExportColumn(_("按时答复数")), ExportColumn(_("按时答复率（%）")),
        ExportColumn(_("受理用时中位数（小时）")), ExportColumn(_("解决用时中位数（小时）")),
        ExportColumn(_("平均满意度（1–5）")), ExportColumn(_("评价数")),
        ExportColumn(_("已办结数")), ExportColumn(_("重新办理数")), ExportColumn(_("重新办理率（%）")),
    ]


FIELDS = ("count", "ack_judged", "ack_on_time", "ack_pct", "answer_judged", "answer_on_time", "answer_pct",
          "median_ack_hours", "median_resolve_hours", "rating_mean", "rated", "finished", "reopened", "reopen_pct")


def stats_rows(rows):
    for row in rows:
        yield [row["label"], *(row[f] if row[f] is not None else "" for f in FIELDS)]
    if rows:
        total = stats.totals(rows)
        yield [_("合计"), *(total[f] if total[f] is not None else "" for f in FIELDS)]


def export_stats(rows, by):
    """The statistics table (one row per group and a total) as an open temporary .xlsx file."""
    return write_xlsx(stats_columns(by), stats_rows(rows), sheet_title=_("按%(by)s统计") % {
        "by": stats.GROUPING_LABELS[by]})
