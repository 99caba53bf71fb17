"""What a cell of an exported workbook holds (text never a formula), the formats of dates, column
widths and sheet titles: shared by exports, templates and the marked copy of an upload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_FILL_COLOR = "FFFF9999"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

YES_NO = (gettext_lazy("是"), gettext_lazy("否"))


# --- text cells are data, never formulas ----------------------------------------------------------

# OWASP "CSV injection": a text beginning with one of these is what a spreadsheet would evaluate
# (=, +, - and @ start a formula; a leading tab or carriage return is skipped by some importers,
# so "\t=cmd|..." reaches the formula parser too).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value):
    """``value`` (a str) as something ``sheet.append`` writes as plain text.

    openpyxl infers the cell type from the value: any str longer than one character that
    starts with "=" becomes a live formula, and "#N/A" and the other error codes become
    error cells. Every export path (``_write``, the marked copy of an upload) sends its
    strings through here, the one place that decides it. A risky text gets an explicit
    string cell (type "s", so the file holds no formula at all) with Excel's quote prefix
    (the flag Excel itself sets when one types '=...: the cell shows the exact text and stays
    text when edited), rather than a prefixed apostrophe, so the value is exported unchanged
    and an exported file imports back as it was. Characters XML cannot hold (NUL and the
    other C0 controls but tab, newline and carriage return) are dropped instead of failing
    the whole export. Safe texts are returned as they are (no cell object per value: a
    100,000-row export stays fast).
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_TRIGGERS) and value not in ERROR_CODES:
        return value
    cell = WriteOnlyCell(sheet)
    cell._value, cell.data_type = value, "s"  # set directly: the value setter would infer "f" again
    cell.quotePrefix = True
    return cell


# --- layout ---------------------------------------------------------------------------------------


def _sheet_title(title):
    for char in "[]:*?/\\":
        title = title.replace(char, "")
    return title[:31] or "Sheet1"


def _width(header, width=None):
    if width:
        return width
    # CJK characters are about two Latin characters wide.
    length = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(header))
    return max(10, min(50, length + 4))
