"""The Importer: read every row, parse, validate all of them, then save all in one transaction or
nothing; the marked copy of a failed upload is kept as a finished Job the user downloads."""

from __future__ import annotations

import gc
import itertools

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import join_list, join_messages, labelled
from core.xlsx.marked import mark_errors
from core.xlsx.parsers import as_text, fold_text
from core.xlsx.spec import ImportCounts, ImportResult, ImportSpec, Row, RowError, UploadRefused
from core.xlsx.upload import _cell_value, _header_key, _open_read_only, check_upload

ERROR_JOB_KIND = "xlsx-import-errors"


class Importer:
    """Base of every Excel importer. Subclasses set ``spec`` and implement the hooks."""

    spec: ImportSpec = None
    #: larger sheets are refused (split them): bounds the time of one import (and the memory of an
    #: importer that is not ``streaming``: a few KB a row)
    max_rows = 20_000
    #: the download name of the marked copy (without extension)
    marked_name = gettext_lazy("导入错误标注")

    def __init__(self, *, user=None):
        self.user = user
        self._progress = None
        self._errors = []
        self._sheet_errors = False  # header problems: rows cannot be checked meaningfully
        self._header_number = 1  # the Excel row of the header (title rows may sit above it)
        self._columns_present = set()
        self._early_errors = set()  # errors sorted before the other messages of their cell
        self._expected = 0  # data rows the sheet's dimension announces (progress only)
        self._read_count = 0
        self._checked = 0

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

    #: rows between two progress reports (a report is one UPDATE of the job row)
    progress_every = 500

    def _report(self, percent, message):
        if self._progress is not None:
            self._progress(int(percent), message)

    # the run -------------------------------------------------------------------------------------
    def run(self, upload, *, store_marked_copy=True, progress=None) -> ImportResult:
        """Validate the whole upload; save all rows in one transaction or nothing.

        ``progress`` (a ``core.jobs.Progress`` or any ``callable(percent, message)``) hears how far the
        import is: reading 0–40 %, checking 40–80 %, then marking the errors or saving (a streaming
        importer reads and checks batch by batch: its percent is the sum of both)."""
        self._progress = progress
        # The rows allocate many short-lived objects: without this, each full collection the import
        # triggers walks every object the process already had (Django, the URLconf, openpyxl...),
        # about a tenth of the import's time. Not where someone else froze objects (a pre-fork
        # freeze): unfreezing theirs would undo it.
        frozen = gc.get_freeze_count() == 0
        if frozen:
            gc.freeze()
        try:
            return self._run(upload, store_marked_copy)
        finally:
            if frozen:
                gc.unfreeze()

    def _run(self, upload, store_marked_copy):
        check_upload(upload)
        if self.streaming:
            rows, count = (), self._check_streaming(upload)
        else:
            rows = self.read(upload)
            count = len(rows)
            if rows and not self._sheet_errors:
                self._report(40, _("正在检查 %(n)s 行……") % {"n": f"{count:,}"})
                self.prepare(rows)
                for index, row in enumerate(rows, start=1):
                    self.validate(row)
                    if self._progress is not None and index % self.progress_every == 0:
                        self._report(40 + 40 * index / count, _("已检查 %(done)s / %(total)s 行……") % {
                            "done": f"{index:,}", "total": f"{count:,}"})
        result = ImportResult(rows=count)
        if self._errors:
            self._report(85, _("发现错误，正在生成标注文件……"))
            columns = {c.label: i for i, c in enumerate(self.spec.columns)}
            early = self._early_errors
            result.errors = sorted(self._errors, key=lambda e: (e.row, columns.get(e.column, -1), e not in early))
            self._errors = []
            result.marked_copy = mark_errors(upload, self.spec, result.errors, header_number=self._header_number)
            result.marked_name = f"{self.marked_name}_{timezone.localdate():%Y%m%d}.xlsx"
            if store_marked_copy and self.user is not None:
                result.job = store_marked_copy_job(
                    user=self.user, name=result.marked_name, content=result.marked_copy,
                    title=labelled(self.spec.title, self.marked_name),
                )
            return result
        self._report(85, _("检查通过，正在保存……"))
        try:
            with transaction.atomic():
                result.counts = self.save(rows)
        except IntegrityError:
            # Somebody saved a clashing row between our check and our write: nothing was saved.
            message = _("保存时发现有人同时修改了相同的记录，本次没有保存任何数据，请重新导入。")
            result.errors = [RowError(1, "", message)]
        return result

    #: check the rows batch by batch as they are read instead of reading them all first: ``prepare``
    #: gets each batch of ``batch_size`` rows (preload what its rows need), then ``validate`` each row
    #: of it; the rows are dropped after their batch, so the importer keeps what it will save
    #: (compactly), ``finish`` runs the checks across rows once every row was seen, and ``save`` gets
    #: no rows (an empty tuple). Memory then grows only by what the importer keeps per row.
    streaming = False
    batch_size = 1000

    def finish(self):
        """Streaming importers: the checks across all rows, once each was validated (``error_at``)."""

    def error_at(self, number, key, message, *, first=False):
        """An error on the cell of column ``key`` (None: the whole row) of Excel row ``number``, for a row
        already dropped (``finish``). ``first``: before the other messages of that cell."""
        header = self.spec.column(key).label if key else ""
        error = RowError(number, header, str(message))
        self._errors.append(error)
        if first:
            self._early_errors.add(error)
        return error

    def _check_streaming(self, upload):
        """Read, parse and check the rows batch by batch (``streaming``); returns how many there were."""
        batch = []
        for row in self.iter_rows(upload):
            if self._sheet_errors:
                continue  # a bad header: cells are parsed (their errors reported), rows not checked
            batch.append(row)
            if len(batch) >= self.batch_size:
                self._check_batch(batch)
                batch = []
        if batch and not self._sheet_errors:
            self._check_batch(batch)
        if self._read_count and not self._sheet_errors:
            self.finish()
        return self._read_count

    def _check_batch(self, batch):
        self.prepare(batch)
        for row in batch:
            self.validate(row)
            self._checked += 1
            if self._progress is not None and self._checked % self.progress_every == 0:
                self._report(self._stream_percent(), _("已检查 %(done)s / %(total)s 行……") % {
                    "done": f"{self._checked:,}", "total": f"{max(self._expected, self._read_count):,}"})

    def _stream_percent(self):
        """Reading is 0–40 %, checking 40–80 %: a streaming import does both at once, so it is their sum."""
        expected = max(1, self._expected)
        return min(40, 40 * self._read_count / expected) + min(40, 40 * self._checked / expected)

    def read(self, upload):
        """Parse every row of the first sheet; collects header and cell errors."""
        return list(self.iter_rows(upload))

    def iter_rows(self, upload):
        """The rows of the first sheet, parsed one by one as openpyxl streams them (a generator);
        collects header and cell errors."""
        workbook = _open_read_only(upload)
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            if sheet is None:
                raise UploadRefused(_("文件中没有工作表。"))
            lines = sheet.iter_rows(values_only=True)
            header, lines = self._find_header(lines)
            if header is None:
                return
            # from the sheet's dimension tag: an estimate, for progress only
            self._expected = max(0, (sheet.max_row or 0) - self._header_number)
            positions = self._map_header(header)
            # Cells of pre-filled columns do not make a row: the user typed nothing in it.
            ignored = {positions[key] for key in self.spec.prefilled if key in positions}
            present = [(column, positions[column.key]) for column in self.spec.columns if column.key in positions]
            for number, values in enumerate(lines, start=self._header_number + 1):
                if values is None or all(v is None or (isinstance(v, str) and not v.strip())
                                         for index, v in enumerate(values) if index not in ignored):
                    continue
                if self._read_count >= self.max_rows:
                    raise UploadRefused(
                        _("数据超过 %(n)s 行，请拆分成多个文件分批导入。") % {"n": f"{self.max_rows:,}"}
                    )
                self._read_count += 1
                yield self._parse_row(number, values, present)
                if self._progress is not None and self._read_count % self.progress_every == 0:
                    self._report(self._stream_percent(), _("已读取 %(n)s 行……") % {"n": f"{self._read_count:,}"})
            if not self._read_count and not self._errors:
                self._add_error(None, None, _("表格中没有数据行。"))
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

    def _parse_row(self, number, values, present):
        """One Row from the cells ``values``; ``present`` lists ``(column, index)`` of the sheet's columns."""
        row = Row(number=number, values={}, raw={}, importer=self)
        parsed, raw = row.values, row.raw
        width = len(values)
        for column, index in present:
            value = values[index] if index < width else None
            if value is not None and (isinstance(value, str) or isinstance(value, float)):
                value = _cell_value(value)
            raw[column.key] = value
            if value is None:
                if column.required:
                    row.error(column.key, _("必填，不能为空。"))
                else:
                    parsed[column.key] = column.default
                continue
            if column.parser is None:
                parsed[column.key] = fold_text(value) if isinstance(value, str) else as_text(value)
                continue
            try:
                parsed[column.key] = column.parser(value)
            except ValidationError as exc:
                row.error(column.key, join_messages(exc.messages))
        return row


def store_marked_copy_job(*, user, name, content, title=""):
    """Keep the marked copy as a finished Job the user (and their organisation) downloads."""
    from core.jobs import job_attach_file, organisation_key_of
    from core.models import Job

    now = timezone.now()
    job = Job(
        kind=ERROR_JOB_KIND, title=str(title)[:200], owner=user, state=Job.State.DONE, progress=100,
        organisation=organisation_key_of(user), started_at=now, finished_at=now,
        message=_("导入未完成：请按标注修改后重新上传。"),
    )
    job_attach_file(job, name=name, content=content)
    job.save()
    return job
