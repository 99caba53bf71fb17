"""The declarations of an import (ImportSpec, Column, ExportColumn) and what an import returns
(RowError, Row, ImportCounts, ImportResult, UploadRefused)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.xlsx.cells import _sheet_title

if TYPE_CHECKING:
    from core.xlsx.importer import Importer


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
    job: Any = None  # the finished Job holding the marked copy
    #: the Job importing a large upload in the background (core/xlsx/import_job.py); nothing else is set then
    running_job: Any = None
    #: all the errors a background import found (``errors`` holds the first of them)
    error_count: int | None = None

    @property
    def ok(self):
        return not self.errors


class UploadRefused(Exception):
    """The upload cannot be read at all; ``str(exc)`` is a Chinese message for the user."""
