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

A large sheet wants a **streaming** importer (``streaming = True``; ``estates/importers.py`` is one):
rows are read, parsed and checked ``batch_size`` (1,000) at a time and dropped after their batch, so
memory stays flat in the rows. ``prepare(rows)`` then gets each batch, ``validate(row)`` keeps what
the save needs compactly (a tuple of field values, not the Row), ``finish()`` runs the checks across
all rows once the last was read (errors on rows already dropped through ``error_at(number, key,
message)``), and ``save`` gets no rows. Progress is then the sum of reading and checking.

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

Layout of the package (one module per concern; import from ``core.xlsx``, which re-exports them):
``spec`` declarations and results, ``parsers`` cell parsers, ``upload`` refusing and opening an upload,
``importer`` the Importer, ``marked`` the marked copy, ``template`` the template, ``cells`` ``text_cell``
(the one formula-injection guard) and layout helpers, ``export`` write-only streaming. ``import_job`` runs
large imports as long jobs (``import_upload``); import it from ``core.xlsx.import_job`` (it needs the Job model,
so this package does not load it).
"""

from core.text import join_list, join_messages, labelled  # noqa: F401  (importers use xlsx.join_messages)
from core.xlsx.cells import (  # noqa: F401
    DATE_FORMAT,
    DATETIME_FORMAT,
    ERROR_FILL_COLOR,
    FORMULA_TRIGGERS,
    XLSX_CONTENT_TYPE,
    YES_NO,
    _sheet_title,
    _width,
    text_cell,
)
from core.xlsx.export import _export_columns, _write, write_xlsx, write_xlsx_path, xlsx_response  # noqa: F401
from core.xlsx.importer import ERROR_JOB_KIND, Importer, store_marked_copy_job  # noqa: F401
from core.xlsx.marked import mark_errors  # noqa: F401
from core.xlsx.parsers import (  # noqa: F401
    as_text,
    choice,
    decimal,
    fold_text,
    integer,
    parse_bool,
    parse_date,
    parse_phone,
    text,
)
from core.xlsx.spec import (  # noqa: F401
    Column,
    ExportColumn,
    ImportCounts,
    ImportResult,
    ImportSpec,
    Row,
    RowError,
    UploadRefused,
    in_all_languages,
)
from core.xlsx.template import _column_note, template_response, template_workbook, xlsx_filename  # noqa: F401
from core.xlsx.upload import MAX_UNPACKED_RATIO, _cell_value, _header_key, _open_read_only, check_upload  # noqa: F401
