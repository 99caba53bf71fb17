"""Large obligation exports as jobs, with constant memory.

The columns and rows are the campaign engine's own (campaigns/exports.py), so an export
from the documents pages and one from the campaign lists are the same file. Rows stream
from the database (``values_list(...).iterator()``, a server-side cursor on PostgreSQL)
straight into core.xlsx.write_xlsx_path (openpyxl write-only mode) on disk; neither the
queryset nor the workbook is held in memory, so 100,000 rows cost about what 1,000 do.
"""

from django.utils.translation import gettext as _

from campaigns import selectors as campaign_selectors
from campaigns.exports import obligation_columns, obligation_rows
from core.xlsx import write_xlsx_path

CHUNK = 2000


def _reporting(rows, progress, total):
    step = max(CHUNK, total // 50) if total else CHUNK
    for index, row in enumerate(rows, 1):
        yield row
        if index % step == 0:
            progress(index, total)


def obligations_export(*, user, path, progress=None, campaign=None, filter=None, **narrow):
    """Write the user's obligations (filtered like the portal's lists) to ``path``. Returns the row count."""
    queryset = campaign_selectors.obligation_search(user=user, campaign=campaign, filter=filter, **narrow)
    total = queryset.count()
    rows = obligation_rows(queryset.select_related(None))
    if progress:
        rows = _reporting(rows, progress, total)
    write_xlsx_path(obligation_columns(), rows, path, sheet_title=_("任务责任"))
    return total
