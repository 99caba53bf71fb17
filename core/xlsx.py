"""Excel (.xlsx) import and export framework, reused by every app.

Import: declare, validate everything, then save everything or nothing
---------------------------------------------------------------------
An :class:`ImportSpec` lists the :class:`Column` s of a sheet::

    ROSTER_SPEC = ImportSpec(
        title=_("协调员名册"),
        columns=[
            Column(_("小区编码"), "estate_code", required=True, parser=parse_code, example="HS00001"),
            Column(_("姓名"), "name", required=True, parser=text(max_length=50)),
            Column(_("聘任日期"), "appointed_on", required=True, parser=parse_date, example="2011-08-01"),
            Column(_("在任"), "is_current", parser=parse_bool, choices=YES_NO, default=True),
        ],
    )

``template_workbook(spec)`` gives the downloadable template (Chinese headers, frozen
header row, column widths, drop-down lists for choice columns, an instructions sheet);
``template_response(spec, filename=...)`` wraps it in an HttpResponse.

An importer subclasses :class:`Importer` and implements three hooks::

    class RosterImporter(Importer):
        spec = ROSTER_SPEC
        def prepare(self, rows): ...         # preload lookups into dicts (a few queries, not per row)
        def validate(self, row): ...         # cross-field / database checks: row.error(key, message)
        def save(self, rows): ...            # bulk writes; returns ImportCounts

    result = RosterImporter(user=request.user).run(uploaded_file)

``run`` refuses bad uploads with :class:`UploadRefused` (not .xlsx, bigger than
``settings.MAX_IMPORT_UPLOAD_SIZE``, corrupt or a zip bomb; ``str(exc)`` is the Chinese
message), reads the first sheet with openpyxl in read-only/values-only mode (headers
matched by text, in any order, ignoring spaces and "*"), runs each column's parser,
then ``prepare`` and ``validate`` on every row (so one upload reports all its errors).
Full-width input is accepted: the structured parsers (``integer``, ``decimal``,
``choice``, ``parse_bool``, ``parse_date``, ``parse_phone``, ``as_text``) fold with
``core.validators.normalize_text`` (NFKC); free text (``text``) folds only full-width
letters, digits and spaces (``fold_text``) so Chinese punctuation such as （）stays as
typed and an exported file imports back unchanged. Every problem becomes a :class:`RowError` (Excel row
number, column header, Chinese message). If there is any error nothing is saved: the
result carries the errors and a marked copy of the workbook (bad cells filled red with a
comment carrying the message, an extra "错误说明" column), stored as a ``core.models.Job``
file (kind ``xlsx-import-errors``) the user downloads from ``jobs:download``. Otherwise
``save`` runs inside one ``transaction.atomic`` and the result carries the counts
(created / updated / unchanged); an IntegrityError there (a concurrent clash) rolls
everything back and becomes one error. ``estates/importers.py`` is the worked example
(upsert by a unique code, history rows through simple-history's bulk helpers).

Admin pages come from ``core.xlsx_admin.XlsxAdminMixin`` (template / import / export
buttons on a changelist); see its docstring.

A parser takes the cell value (``str`` trimmed, or int/float/datetime/bool as
openpyxl read it; integral floats arrive as int) and returns the Python value or raises ``ValidationError`` with a
Chinese message. Empty cells never reach the parser: a required column reports
"必填", an optional one yields ``column.default``. An optional column absent from the
sheet is absent from ``row.values`` (importers leave the field untouched on update).

Export: constant memory, dates stay dates
-----------------------------------------
``write_xlsx(columns, rows, *, sheet_title="数据")`` writes rows with openpyxl in
write-only mode into a temporary file and returns it (open, positioned at 0; deleted
when closed). ``columns`` is a sequence of :class:`ExportColumn` (or plain header
strings, or ``(header, width)`` tuples); ``rows`` any iterable of sequences of values,
consumed once (pass ``queryset.values_list(...).iterator()`` or a generator), so 100,000
rows never sit in memory. The header row is frozen, widths come from the columns (or a
default from the header length), ``date`` and ``datetime`` values are written as Excel
dates with a date format (aware datetimes in local time), ``Decimal`` stays a number,
``None`` an empty cell, booleans become 是/否::

    columns = [ExportColumn(_("小区编码"), width=12), ExportColumn(_("金额"), number_format="#,##0.00")]
    rows = qs.values_list("code", "amount").iterator(chunk_size=2000)
    return xlsx_response(columns, rows, filename="小区名单.xlsx")      # a FileResponse download

    fh = write_xlsx(columns, rows)          # the open temporary file itself (close it when done)

    # in a core.jobs job kind (large exports off the request):
    path = write_xlsx_path(columns, rows, core.jobs.temporary_path(".xlsx"))
    return JobFile("小区名单.xlsx", path)   # the runner moves it into storage and deletes it

``ExportColumn.number_format`` overrides the format of that column's dates and numbers.
"""

from __future__ import annotations

import datetime
import functools
import io
import itertools
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import join_list, join_messages, labelled
from core.validators import normalize_phone, normalize_text, validate_cn_phone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_FILL_COLOR = "FFFF9999"
ERROR_JOB_KIND = "xlsx-import-errors"
# A zip that unpacks to more than this multiple of the upload limit is refused (zip bomb).
MAX_UNPACKED_RATIO = 30
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

YES_NO = (gettext_lazy("是"), gettext_lazy("否"))


def in_all_languages(text):
    """The text (a lazy translation) as it reads in every language of the portal.

    A workbook downloaded with the interface in one language may be uploaded with the
    interface in another: headers and choice labels match in any of them.
    """
    from django.conf import settings
    from django.utils import translation

    texts = {str(text)}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.add(str(text))
    return texts


# --- declarations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import sheet.

    ``header`` is the Chinese header users see (matched after normalisation, so
    "户数" and "户数 " are the same); ``aliases`` other accepted headers; ``parser``
    turns a non-empty cell into the Python value; ``choices`` (labels) become a
    drop-down list in the template; ``example`` and ``help_text`` go to the
    instructions sheet.
    """

    header: Any
    key: str
    required: bool = False
    parser: Callable[[Any], Any] | None = None
    help_text: Any = ""
    example: Any = ""
    width: int | None = None
    choices: Sequence[Any] = ()
    default: Any = ""
    aliases: Sequence[Any] = ()
    as_text_cells: bool = False  # template formats the column as text (codes, phone numbers)

    @property
    def label(self):
        return str(self.header)

    def header_texts(self):
        """Every header text this column answers to: the header in each language and the aliases."""
        texts = set()
        for text_ in (self.header, *self.aliases):
            texts |= in_all_languages(text_)
        return texts


@dataclass(frozen=True)
class ImportSpec:
    title: Any
    columns: Sequence[Column]
    instructions: Sequence[Any] = ()
    #: keys of the columns a downloaded template comes filled in with (``template_workbook(rows=)``):
    #: a row with nothing but those is a row the user left alone, skipped like a blank one.
    prefilled: Sequence[str] = ()

    def column(self, key):
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def sheet_title(self):
        return _sheet_title(str(self.title))


@dataclass(frozen=True)
class ExportColumn:
    header: Any
    width: int | None = None
    number_format: str | None = None


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """``row`` is the Excel row number (the header is row 1); ``column`` the header text
    ("" when the error is about the whole row or the file)."""

    row: int
    column: str
    message: str


@dataclass
class Row:
    """One data row: its Excel row number, the parsed values (by column key) and the raw
    cell values (by column key, for messages)."""

    number: int
    values: dict
    raw: dict
    importer: Importer = field(repr=False, default=None)
    errors: list = field(default_factory=list)

    def error(self, key, message):
        """Record an error on the cell of column ``key`` (None: the whole row)."""
        self.importer._add_error(self, key, message)

    @property
    def ok(self):
        return not self.errors


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self):
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    rows: int = 0
    counts: ImportCounts = field(default_factory=ImportCounts)
    errors: list = field(default_factory=list)
    marked_copy: bytes | None = None
    marked_name: str = ""
    job: Any = None

    @property
    def ok(self):
        return not self.errors


class UploadRefused(Exception):
    """The upload cannot be read at all; ``str(exc)`` is a Chinese message for the user."""


# --- parsers --------------------------------------------------------------------------------------


def as_text(value):
    """The text of a cell as a user would read it: integral floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return normalize_text(value)


_FULL_WIDTH_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},   # ０-９
    **{0xFF21 + i: 0x41 + i for i in range(26)},   # Ａ-Ｚ
    **{0xFF41 + i: 0x61 + i for i in range(26)},   # ａ-ｚ
    0x3000: 0x20,                                  # ideographic space
}


def fold_text(value):
    """Fold full-width digits, letters and spaces to ASCII but keep Chinese punctuation
    (（）：、) as typed: names and addresses stay as the user wrote them, so a workbook
    exported and imported again compares equal to what is stored."""
    return str(value).translate(_FULL_WIDTH_ALNUM).strip() if value is not None else ""


def text(max_length=None, upper=False):
    """Free text (names, addresses): full-width letters and digits folded, punctuation kept."""

    def parse(value):
        result = value if isinstance(value, str) else as_text(value)
        result = fold_text(result)
        if upper:
            result = result.upper()
        if max_length and len(result) > max_length:
            raise ValidationError(_("不能超过 %(n)s 个字符（当前 %(m)s 个）。") % {"n": max_length, "m": len(result)})
        return result

    return parse


def integer(min_value=None, max_value=None):
    def parse(value):
        if isinstance(value, bool):
            raise ValidationError(_("应为整数。"))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise ValidationError(_("应为整数，不能有小数。"))
            number = int(value)
        else:
            raw = as_text(value).replace(",", "")
            try:
                number = int(raw)
            except ValueError:
                raise ValidationError(_("“%(value)s”不是整数。") % {"value": as_text(value)}) from None
        if min_value is not None and number < min_value:
            raise ValidationError(_("不能小于 %(n)s。") % {"n": min_value})
        if max_value is not None and number > max_value:
            raise ValidationError(_("不能大于 %(n)s。") % {"n": max_value})
        return number

    return parse


def decimal(max_digits=12, decimal_places=2, min_value=0):
    def parse(value):
        if isinstance(value, bool):
            raise ValidationError(_("应为数字。"))
        raw = str(value) if isinstance(value, (int, float)) else as_text(value).replace(",", "")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("“%(value)s”不是数字。") % {"value": as_text(value)}) from None
        if not number.is_finite():
            raise ValidationError(_("“%(value)s”不是数字。") % {"value": as_text(value)})
        number = number.quantize(Decimal(1).scaleb(-decimal_places))
        if min_value is not None and number < min_value:
            raise ValidationError(_("不能小于 %(n)s。") % {"n": min_value})
        if len(number.as_tuple().digits) > max_digits:
            raise ValidationError(_("数值过大。"))
        return number

    return parse


_TRUE = {"是", "有", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×"}


@functools.cache
def _yes_no_texts():
    return tuple(frozenset(t.lower() for t in in_all_languages(label)) for label in YES_NO)


def parse_bool(value):
    if isinstance(value, bool):
        return value
    raw = as_text(value).lower()
    yes, no = _yes_no_texts()
    if raw in _TRUE or raw in yes:
        return True
    if raw in _FALSE or raw in no:
        return False
    raise ValidationError(_("请填写“是”或“否”。"))


def choice(mapping):
    """Parser for a label → value mapping (labels matched after normalisation)."""
    normalised = {
        normalize_text(text_).lower(): val for label, val in mapping.items() for text_ in in_all_languages(label)
    }

    def parse(value):
        raw = as_text(value).lower()
        if raw in normalised:
            return normalised[raw]
        # Labels and separator in the language of the upload's request, not of import time.
        labels = join_list(dict.fromkeys(str(label) for label in mapping))
        raise ValidationError(_("“%(value)s”无效，可选：%(labels)s。") % {"value": as_text(value), "labels": labels})

    return parse


def parse_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = as_text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s”不是有效日期，请填写如 2011-07-22。") % {"value": as_text(value)})


def parse_phone(value):
    phone = normalize_phone(as_text(value))
    validate_cn_phone(phone)
    return phone


# --- reading an upload ----------------------------------------------------------------------------


def check_upload(upload):
    """Refuse what cannot be an importable workbook. Returns nothing or raises UploadRefused."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise UploadRefused(
            _("只接受 .xlsx 格式的 Excel 文件（Excel 2007 及以上）。请在 Excel 中“另存为”.xlsx 后重新上传。")
        )
    limit = settings.MAX_IMPORT_UPLOAD_SIZE
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > limit:
        raise UploadRefused(
            _("文件大小为 %(size)s，超过上限 %(limit)s，请拆分后分批导入。")
            % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )
    if size == 0:
        raise UploadRefused(_("上传的文件是空的。"))
    upload.seek(0)
    corrupt = UploadRefused(_("文件已损坏或不是有效的 .xlsx 文件，无法读取。请用 Excel 打开检查后重新保存再上传。"))
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "[Content_Types].xml" not in archive.namelist():
                raise corrupt
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise corrupt from None
    if unpacked > limit * MAX_UNPACKED_RATIO:
        raise UploadRefused(_("文件解压后过大，无法导入。请删除多余的工作表或格式后重新上传。"))
    upload.seek(0)


def _megabytes(size):
    return f"{size / 1024 / 1024:.1f} MB"


def _open_read_only(upload):
    from openpyxl import load_workbook

    upload.seek(0)
    try:
        return load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises KeyError, ValueError, zip and XML errors for broken files
        raise UploadRefused(
            _("文件已损坏或不是有效的 .xlsx 文件，无法读取。请用 Excel 打开检查后重新保存再上传。")
        ) from None


def _header_key(value):
    return normalize_text(value).replace(" ", "").replace("*", "").replace("＊", "")


def _cell_value(value):
    """One cell as read: text trimmed (empty → None), integral floats → int. Parsers fold
    full-width characters: ``normalize_text`` for codes, numbers, phones and choices,
    ``fold_text`` for free text."""
    if isinstance(value, str):
        value = value.strip(" \t\r\n\u3000")
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- the importer ---------------------------------------------------------------------------------


class Importer:
    """Base of every Excel importer. Subclasses set ``spec`` and implement the hooks."""

    spec: ImportSpec = None
    #: larger sheets are refused (split them): bounds the memory of one import (~5 KB a row)
    max_rows = 20_000
    #: the download name of the marked copy (without extension)
    marked_name = gettext_lazy("导入错误标注")

    def __init__(self, *, user=None):
        self.user = user
        self._errors = []
        self._sheet_errors = False  # header problems: rows cannot be checked meaningfully
        self._header_number = 1  # the Excel row of the header (title rows may sit above it)
        self._columns_present = set()

    # hooks ---------------------------------------------------------------------------------------
    def prepare(self, rows):
        """Preload everything ``validate`` needs (a few queries for all rows)."""

    def validate(self, row):
        """Check one row against the database and other rows; report with ``row.error``."""

    def save(self, rows) -> ImportCounts:
        raise NotImplementedError

    # helpers for subclasses ----------------------------------------------------------------------
    def has_column(self, key):
        return key in self._columns_present

    def _add_error(self, row, key, message):
        header = self.spec.column(key).label if key else ""
        number = row.number if row is not None else self._header_number
        if row is None:
            self._sheet_errors = True
        error = RowError(number, header, str(message))
        if row is not None:
            row.errors.append(error)
        self._errors.append(error)

    # the run -------------------------------------------------------------------------------------
    def run(self, upload, *, store_marked_copy=True) -> ImportResult:
        """Validate the whole upload; save all rows in one transaction or nothing."""
        check_upload(upload)
        rows = self.read(upload)
        result = ImportResult(rows=len(rows))
        if rows and not self._sheet_errors:
            self.prepare(rows)
            for row in rows:
                self.validate(row)
        if self._errors:
            columns = {c.label: i for i, c in enumerate(self.spec.columns)}
            result.errors = sorted(self._errors, key=lambda e: (e.row, columns.get(e.column, -1)))
            result.marked_copy = mark_errors(upload, self.spec, result.errors, header_number=self._header_number)
            result.marked_name = f"{self.marked_name}_{timezone.localdate():%Y%m%d}.xlsx"
            if store_marked_copy and self.user is not None:
                result.job = store_marked_copy_job(
                    user=self.user, name=result.marked_name, content=result.marked_copy,
                    title=labelled(self.spec.title, self.marked_name),
                )
            return result
        try:
            with transaction.atomic():
                result.counts = self.save(rows)
        except IntegrityError:
            # Somebody saved a clashing row between our check and our write: nothing was saved.
            message = _("保存时发现有人同时修改了相同的记录，本次没有保存任何数据，请重新导入。")
            result.errors = [RowError(1, "", message)]
        return result

    def read(self, upload):
        """Parse every row of the first sheet; collects header and cell errors."""
        workbook = _open_read_only(upload)
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            if sheet is None:
                raise UploadRefused(_("文件中没有工作表。"))
            lines = sheet.iter_rows(values_only=True)
            header, lines = self._find_header(lines)
            if header is None:
                return []
            positions = self._map_header(header)
            # Cells of pre-filled columns do not make a row: the user typed nothing in it.
            ignored = {positions[key] for key in self.spec.prefilled if key in positions}
            rows = []
            for number, values in enumerate(lines, start=self._header_number + 1):
                if values is None or all(v is None or (isinstance(v, str) and not v.strip())
                                         for index, v in enumerate(values) if index not in ignored):
                    continue
                if len(rows) >= self.max_rows:
                    raise UploadRefused(
                        _("数据超过 %(n)s 行，请拆分成多个文件分批导入。") % {"n": f"{self.max_rows:,}"}
                    )
                rows.append(self._parse_row(number, values, positions))
            if not rows and not self._errors:
                self._add_error(None, None, _("表格中没有数据行。"))
            return rows
        except UploadRefused:
            raise
        except Exception:  # a sheet openpyxl cannot stream (broken XML inside a valid zip)
            raise UploadRefused(
                _("文件已损坏或不是有效的 .xlsx 文件，无法读取。请用 Excel 打开检查后重新保存再上传。")
            ) from None
        finally:
            workbook.close()

    #: rows above the header a sheet may have: a register's title (often merged across the
    #: columns), the reporting unit and date, a blank line
    max_title_rows = 10

    def _find_header(self, lines):
        """``(header values, remaining lines)``: the header is the row, among the first
        ``max_title_rows + 1``, naming the most columns of the spec (the first such row), so the
        title rows bureaus put above the header of their own registers are skipped. A sheet
        with no recognisable header gets one clear error naming the expected columns."""
        known = {_header_key(text_) for column in self.spec.columns for text_ in column.header_texts()}
        scanned = []
        for values in lines:
            scanned.append(values)
            if len(scanned) > self.max_title_rows:
                break
        best, best_count = None, 0
        for index, values in enumerate(scanned):
            count = sum(1 for v in values or () if v is not None and _header_key(v) in known)
            if count > best_count:
                best, best_count = index, count
        if best is None:
            if not scanned or not any(v is not None and str(v).strip() for v in scanned[0] or ()):
                self._add_error(None, None, _("第 1 行应为表头（列名），请使用下载的导入模板。"))
            else:
                named = [c for c in self.spec.columns if c.required] or list(self.spec.columns[:1])
                columns = join_list(f"“{c.label}”" for c in named)
                self._add_error(None, None, _(
                    "找不到表头：前 %(n)s 行中没有一行含有本表的列名（应有 %(columns)s 等列）。表头上方可以保留标题行"
                    "（如合并单元格的表名），但列名须与导入模板一致。") % {"n": len(scanned), "columns": columns})
            return None, iter(())
        self._header_number = best + 1
        return scanned[best], itertools.chain(scanned[best + 1:], lines)

    def _map_header(self, header):
        by_text = {}
        for column in self.spec.columns:
            for text_ in column.header_texts():
                by_text[_header_key(text_)] = column
        positions = {}
        for index, value in enumerate(header):
            if value is None:
                continue
            column = by_text.get(_header_key(value))
            if column is None:
                continue
            if column.key in positions:
                self._add_error(None, None, _("列“%(header)s”出现了两次。") % {"header": column.label})
                continue
            positions[column.key] = index
        for column in self.spec.columns:
            if column.required and column.key not in positions:
                message = _("缺少必填列“%(header)s”，请使用下载的导入模板。") % {"header": column.label}
                self._add_error(None, None, message)
        self._columns_present = set(positions)
        return positions

    def _parse_row(self, number, values, positions):
        row = Row(number=number, values={}, raw={}, importer=self)
        for column in self.spec.columns:
            index = positions.get(column.key)
            if index is None:
                continue
            value = _cell_value(values[index]) if index < len(values) else None
            row.raw[column.key] = value
            if value is None:
                if column.required:
                    row.error(column.key, _("必填，不能为空。"))
                else:
                    row.values[column.key] = column.default
                continue
            if column.parser is None:
                row.values[column.key] = fold_text(value) if isinstance(value, str) else as_text(value)
                continue
            try:
                row.values[column.key] = column.parser(value)
            except ValidationError as exc:
                row.error(column.key, join_messages(exc.messages))
        return row


def store_marked_copy_job(*, user, name, content, title=""):
    """Keep the marked copy as a finished Job the user (and their organisation) downloads."""
    from core.jobs import job_attach_file
    from core.models import Job

    now = timezone.now()
    job = Job(
        kind=ERROR_JOB_KIND, title=str(title)[:200], owner=user, state=Job.State.DONE, progress=100,
        agency_id=user.agency_id, firm_id=user.firm_id, started_at=now, finished_at=now,
        message=_("导入未完成：请按标注修改后重新上传。"),
    )
    job_attach_file(job, name=name, content=content)
    job.save()
    return job


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


# --- the marked copy ------------------------------------------------------------------------------


def mark_errors(upload, spec, errors, *, header_number=1) -> bytes:
    """A copy of the uploaded sheet with bad cells filled red and the message as a cell
    comment, plus a last column "错误说明" listing each bad row's messages. Title rows above
    the header (``header_number`` is the header's Excel row) are copied as they are.

    Streamed (read-only in, write-only out), so a 10 MB upload never becomes a workbook
    in memory; the values and dates of the first sheet are kept, its styling is not.
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


# --- the template ---------------------------------------------------------------------------------


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


def template_workbook(spec, *, rows=()) -> bytes:
    """The template of ``spec`` as .xlsx bytes: blank, or with ``rows`` (value lists in column
    order, e.g. the user's own estates) written under the header for the user to complete."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.sheet_title
    header_fill = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.label)
        cell.font = Font(bold=True, color="FFC00000" if column.required else "FF000000")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _width(column.label, column.width)
        note = _column_note(column)
        if note:
            cell.comment = Comment(note, str(_("填写说明")))
        if column.choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(str(c) for c in column.choices) + '"', allow_blank=True,
                showErrorMessage=True, errorTitle=str(_("输入有误")),
                error=str(_("请从下拉列表中选择。")),
            )
            validation.add(f"{letter}2:{letter}10001")
            sheet.add_data_validation(validation)
        if column.as_text_cells:
            # Codes and phone numbers stay text: Excel would drop leading zeros and round 18 digits.
            sheet.column_dimensions[letter].number_format = "@"
    for values in rows:
        sheet.append([text_cell(sheet, v) if isinstance(v, str) else v for v in values])
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(_sheet_title(str(_("填写说明"))))
    guide.append([str(_("%(title)s 导入说明") % {"title": spec.title})])
    guide["A1"].font = Font(bold=True, size=14)
    general = [
        _("第一个工作表为数据表，第 1 行为表头，请勿修改或删除表头；从第 2 行起每行一条记录。"),
        _("红色表头为必填列；空行会被忽略；全角数字和字母（如“１２３”“ＡＢ”）会自动转为半角。"),
        _("导入前会检查全部行：只要有一行出错，整批都不会保存；系统会列出错误（行号、列名、原因），"
          "并提供一份把出错单元格标红、附批注的文件供修改。"),
        _("已存在的记录按唯一编码更新，新编码新增；同一文件重复导入不会产生任何变化。"),
        *spec.instructions,
    ]
    for line in general:
        guide.append([str(line)])
    guide.append([])
    guide.append([str(_("列名")), str(_("是否必填")), str(_("说明")), str(_("示例"))])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for column in spec.columns:
        help_text = str(column.help_text)
        if column.choices:
            help_text = (help_text + " " if help_text else "") + str(_("可选：%(c)s")) % {
                "c": join_list(column.choices)
            }
        guide.append([column.label, str(_("必填") if column.required else _("选填")), help_text, str(column.example)])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 70
    guide.column_dimensions["D"].width = 28
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _column_note(column):
    parts = []
    if column.required:
        parts.append(str(_("必填")))
    if column.help_text:
        parts.append(str(column.help_text))
    if column.example:
        parts.append(str(_("示例：%(e)s")) % {"e": column.example})
    return "\n".join(parts)


def xlsx_filename(name):
    name = str(name)
    return name if name.lower().endswith(".xlsx") else f"{name}.xlsx"


def template_response(spec, *, filename=None, rows=()) -> HttpResponse:
    name = xlsx_filename(filename or _("%(title)s导入模板") % {"title": spec.title})
    return FileResponse(io.BytesIO(template_workbook(spec, rows=rows)), as_attachment=True, filename=name,
                        content_type=XLSX_CONTENT_TYPE)


# --- export ---------------------------------------------------------------------------------------


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
