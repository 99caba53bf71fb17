"""The marked copy of a refused upload: bad cells red with the message as a comment, and an
"错误说明" column; streamed read-only in, write-only out."""

from __future__ import annotations

import datetime
import io

from django.utils.translation import gettext as _

from core.text import join_messages, labelled
from core.xlsx.cells import DATE_FORMAT, DATETIME_FORMAT, ERROR_FILL_COLOR, _width, text_cell
from core.xlsx.upload import _header_key, _open_read_only

#: cell comments in one marked copy: openpyxl holds each (a few KB) until the file is written, so a sheet
#: wrong in all of its 20,000 rows cost 130 MB more. Past this many, the bad cells are still filled red and
#: every message is still in the "错误说明" column of its row.
MAX_COMMENTS = 2000


def mark_errors(upload, spec, errors, *, header_number=1) -> bytes:
    """A copy of the uploaded sheet with bad cells filled red and the message as a cell
    comment, plus a last column "错误说明" listing each bad row's messages. Title rows above
    the header (``header_number`` is the header's Excel row) are copied as they are.

    Streamed (read-only in, write-only out), so a 10 MB upload never becomes a workbook
    in memory; the values and dates of the first sheet are kept, its styling is not. The
    first ``MAX_COMMENTS`` bad cells get their comment (see there).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    source = _open_read_only(upload)
    try:
        lines = source.worksheets[0].iter_rows(values_only=True)
        titles = [next(lines, None) or () for _n in range(header_number - 1)]
        header = next(lines, None) or ()
        title_end = header_number  # the header row: written as it is, in bold
        positions = {}
        for index, value in enumerate(header):
            if value is not None:
                positions.setdefault(_header_key(value), index)
        column_of = {}
        for column in spec.columns:
            for text_ in column.header_texts():
                if _header_key(text_) in positions:
                    column_of[column.label] = positions[_header_key(text_)]
                    break
        by_cell, by_row = {}, {}
        for error in errors:
            by_row.setdefault(error.row, []).append(error)
            by_cell.setdefault((error.row, column_of.get(error.column, 0)), []).append(error.message)
        width = max([len(header)] + [col + 1 for _row, col in by_cell])
        note_index = width  # 0-based index of the "错误说明" column

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(source.worksheets[0].title)
        sheet.freeze_panes = f"A{header_number + 1}"
        widths = {column_of[c.label]: _width(c.label, c.width) for c in spec.columns if c.label in column_of}
        for index in range(width):
            sheet.column_dimensions[get_column_letter(index + 1)].width = widths.get(index, 14)
        sheet.column_dimensions[get_column_letter(note_index + 1)].width = 60
        fill = PatternFill("solid", start_color=ERROR_FILL_COLOR, end_color=ERROR_FILL_COLOR)
        red, bold_red = Font(color="FFC00000"), Font(bold=True, color="FFC00000")
        author = str(_("导入检查"))
        comments_left = [MAX_COMMENTS]

        def cells(number, values):
            line = list(values or ())
            row_errors = by_row.get(number)
            if row_errors or number == header_number:
                line += [None] * (note_index - len(line))
            for index, value in enumerate(line):
                messages = by_cell.get((number, index))
                if messages is None and not isinstance(value, (datetime.date, datetime.time)) and number != title_end:
                    if isinstance(value, str):
                        line[index] = text_cell(sheet, value)
                    continue
                if isinstance(value, str):
                    cell = text_cell(sheet, value)
                    if isinstance(cell, str):
                        cell = WriteOnlyCell(sheet, value=cell)
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, datetime.datetime):
                    cell.number_format = DATETIME_FORMAT if value.time() != datetime.time() else DATE_FORMAT
                elif isinstance(value, datetime.date):
                    cell.number_format = DATE_FORMAT
                if number == header_number:
                    cell.font = Font(bold=True)
                if messages:
                    cell.fill = fill
                    if comments_left[0] > 0:
                        comments_left[0] -= 1
                        comment = Comment("\n".join(messages), author)
                        comment.width, comment.height = 240, 40 + 20 * len(messages)
                        cell.comment = comment
                line[index] = cell
            if number == header_number:
                note = WriteOnlyCell(sheet, value=str(_("错误说明")))
                note.font = bold_red
                line.append(note)
            elif row_errors:
                note = WriteOnlyCell(sheet, value=join_messages(
                    labelled(e.column, e.message) if e.column else e.message for e in row_errors))
                note.font = red
                line.append(note)
            return line

        for title in titles:
            sheet.append(list(title))
        sheet.append(cells(header_number, header))
        for number, values in enumerate(lines, start=header_number + 1):
            sheet.append(cells(number, values))
    finally:
        source.close()
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
