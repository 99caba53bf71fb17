"""Large Excel exports as jobs, with constant memory.

Rows stream from the database (``values_list(...).iterator()``, a server-side cursor on
PostgreSQL) straight into core.xlsx.write_xlsx_path (openpyxl write-only mode) on disk;
neither the queryset nor the workbook is ever held in memory, so 100,000 rows cost about
what 1,000 do.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import selectors as campaign_selectors
from campaigns.models import Obligation
from core.xlsx import ExportColumn, write_xlsx_path

OBLIGATION_COLUMNS = [
    ExportColumn(gettext_lazy("创建活动"), 24),
    ExportColumn(gettext_lazy("专项行动"), 18),
    ExportColumn(gettext_lazy("工作任务"), 36),
    ExportColumn(gettext_lazy("责任主体"), 26),
    ExportColumn(gettext_lazy("小区编码"), 11),
    ExportColumn(gettext_lazy("所属区"), 12),
    ExportColumn(gettext_lazy("所属街道"), 14),
    ExportColumn(gettext_lazy("物业服务企业"), 26),
    ExportColumn(gettext_lazy("完成期限"), 12),
    ExportColumn(gettext_lazy("状态"), 9),
    ExportColumn(gettext_lazy("逾期"), 6),
    ExportColumn(gettext_lazy("提交时间"), 17),
]
_FIELDS = (
    "campaign__name", "task__action__name", "task__title", "estate__name", "firm__name", "agency__name",
    "estate__code", "district__short_name", "district__name", "street__short_name", "street__name",
    "estate__firm__name", "due_date", "state", "is_overdue", "submitted_at",
)
CHUNK = 2000


def obligation_rows(queryset, *, progress=None, total=0):
    """Rows of OBLIGATION_COLUMNS from an obligation queryset (annotated ``is_overdue``)."""
    states = {key: str(label) for key, label in Obligation.State.choices}
    step = max(CHUNK, total // 50) if total else CHUNK
    for index, (campaign, action, task, estate, firm, agency, code, d_short, d_name, s_short, s_name, estate_firm,
                due, state, overdue, submitted_at) in enumerate(
            queryset.values_list(*_FIELDS).iterator(chunk_size=CHUNK), 1):
        yield (campaign, action, task, estate or firm or agency, code, d_short or d_name, s_short or s_name,
               estate_firm or firm, due, states.get(state, state), bool(overdue), submitted_at)
        if progress and index % step == 0:
            progress(index)


def obligations_export(*, user, path, progress=None, campaign=None, filter=None, **narrow):
    """Write the user's obligations (filtered like the portal's lists) to ``path``. Returns the row count."""
    queryset = campaign_selectors.obligation_search(user=user, campaign=campaign, filter=filter, **narrow)
    total = queryset.count()
    rows = obligation_rows(queryset.select_related(None), total=total,
                           progress=(lambda index: progress(index, total)) if progress else None)
    write_xlsx_path(OBLIGATION_COLUMNS, rows, path, sheet_title=_("任务责任"))
    return total
