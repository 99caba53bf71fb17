"""Reading an upload: refuse what cannot be an importable workbook (type, size, corrupt, zip bomb),
open it read-only, normalise headers and cells."""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from core.validators import normalize_text
from core.xlsx.spec import UploadRefused

# A zip that unpacks to more than this multiple of the upload limit is refused (zip bomb).
MAX_UNPACKED_RATIO = 30


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


def count_rows(upload):
    """How many rows the first sheet of a checked upload has, cheaply: the sheet's own dimension tag
    (openpyxl read-only ``max_row``) when the writer stored one, else one pass over the rows without
    parsing them. Title and header rows are counted too: this is for choosing the request or a job."""
    workbook = _open_read_only(upload)
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return 0
        if sheet.max_row:
            return sheet.max_row
        return sum(1 for _row in sheet.iter_rows(values_only=True))
    except Exception:  # a sheet openpyxl cannot stream: the import itself will say so
        return 0
    finally:
        workbook.close()
        upload.seek(0)


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
