"""Exports: rows streamed into an openpyxl write-only workbook on disk (constant memory), dates as
dates, every text through ``text_cell``."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.xlsx.cells import DATE_FORMAT, DATETIME_FORMAT, XLSX_CONTENT_TYPE, _sheet_title, _width, text_cell
from core.xlsx.spec import ExportColumn
from core.xlsx.template import xlsx_filename


def _export_columns(columns):
    result = []
    for column in columns:
        if isinstance(column, ExportColumn):
            result.append(column)
        elif isinstance(column, (tuple, list)):
            result.append(ExportColumn(*column))
        else:
            result.append(ExportColumn(column))
    return result


def _write(columns, rows, target, sheet_title):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = _export_columns(columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(str(sheet_title)))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column.header, column.width)
    bold = Font(bold=True)
    fill = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
    header = []
    for column in columns:
        cell = text_cell(sheet, str(column.header))
        if isinstance(cell, str):
            cell = WriteOnlyCell(sheet, value=cell)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    formats = [c.number_format for c in columns]
    yes, no = str(_("是")), str(_("否"))
    for values in rows:
        line = []
        for index, value in enumerate(values):
            fmt = formats[index] if index < len(formats) else None
            if isinstance(value, datetime.datetime):
                if timezone.is_aware(value):
                    value = timezone.localtime(value).replace(tzinfo=None)
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt or DATETIME_FORMAT
                value = cell
            elif isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt or DATE_FORMAT
                value = cell
            else:
                if isinstance(value, bool):
                    value = yes if value else no
                elif value is not None and not isinstance(value, (str, int, float, Decimal)):
                    value = str(value)  # lazy translations, model objects, UUIDs...
                if isinstance(value, str):
                    value = text_cell(sheet, value)  # never a formula (see text_cell)
                elif fmt and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = fmt
                    value = cell
            line.append(value)
        sheet.append(line)
    workbook.save(target)


def write_xlsx(columns, rows: Iterable[Sequence[Any]], *, sheet_title=None):
    """Write ``rows`` under ``columns`` into a temporary .xlsx file; returns it open at 0.

    The file lives on disk, not in memory, and disappears when closed.
    """
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        _write(columns, rows, target, sheet_title or _("数据"))
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target


def write_xlsx_path(columns, rows, path, *, sheet_title=None):
    """Write to ``path`` (e.g. ``core.jobs.temporary_path(".xlsx")`` for a ``JobFile``)."""
    with open(path, "wb") as target:
        _write(columns, rows, target, sheet_title or _("数据"))
    return path


def xlsx_response(columns, rows, *, filename, sheet_title=None) -> FileResponse:
    """A download response streaming the written file (Chinese file names are fine)."""
    return FileResponse(
        write_xlsx(columns, rows, sheet_title=sheet_title), as_attachment=True, filename=xlsx_filename(filename),
        content_type=XLSX_CONTENT_TYPE,
    )
