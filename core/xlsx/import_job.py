"""Large Excel imports as long jobs.

An upload with more rows than ``settings.XLSX_IMPORT_JOB_ROWS`` is not imported in the request
(20,000 rows take about a minute: the request would time out). :func:`import_upload` checks it
and counts its rows; above the threshold it stores the file, starts the job kind
``core.xlsx_import`` (core/jobs.py) and the view sends the user to the job's progress page.
The job runs the very same importer (all rows checked, then all saved in one transaction or
none) with a progress callback, then keeps on the job what the import page would have shown:
the counts, or the errors (row, column, message) and the marked copy as the job's file. The
job page (templates/core/job_detail.html) shows them like the import page does.

    result = import_upload(EstateImporter, user=request.user, upload=form.cleaned_data["file"],
                           title=_("导入住宅小区"))
    if result.running_job is not None:
        return redirect("jobs:detail", pk=result.running_job.pk)
    ...  # the in-request result, as before

The importer is named in the job by its dotted path and must be a :class:`core.xlsx.Importer`;
the stored upload is deleted when the job ends, whatever the outcome.
"""

import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.jobs import JobFailed, JobFile, job_kind, job_start
from core.models import Job
from core.xlsx.importer import Importer
from core.xlsx.spec import ImportCounts, ImportResult, RowError, UploadRefused
from core.xlsx.upload import check_upload, count_rows

KIND = "core.xlsx_import"
UPLOAD_DIR = "imports"
#: errors kept on the job for its page (all of them are in the marked copy)
MAX_ERRORS_KEPT = 500


def _dotted(importer_class):
    return f"{importer_class.__module__}.{importer_class.__qualname__}"


def _importer_class(dotted):
    try:
        importer_class = import_string(dotted)
    except ImportError:
        importer_class = None
    if not (isinstance(importer_class, type) and issubclass(importer_class, Importer)):
        raise JobFailed(_("导入类型无效。"))
    return importer_class


def import_upload(importer_class, *, user, upload, title=""):
    """Import ``upload`` with ``importer_class`` for ``user``: in the request when it is small, else as
    a long job (``result.running_job``). Raises UploadRefused for a file that cannot be imported at all."""
    check_upload(upload)
    if count_rows(upload) <= settings.XLSX_IMPORT_JOB_ROWS:
        return importer_class(user=user).run(upload)
    upload.seek(0)
    stored = default_storage.save(f"{UPLOAD_DIR}/{uuid.uuid4().hex}.xlsx", upload)
    try:
        job = job_start(kind=KIND, user=user, title=str(title or _("Excel 导入")), params={
            "importer": _dotted(importer_class), "upload": stored, "name": getattr(upload, "name", "") or ""})
    except BaseException:
        default_storage.delete(stored)
        raise
    return ImportResult(running_job=job)


def job_import_result(job):
    """What a finished import job found, as the import page shows it: an ImportResult (errors capped at
    MAX_ERRORS_KEPT, ``error_count`` all of them), or None for a job that is no import or not finished."""
    report = (job.params or {}).get("import_result") if job.kind == KIND else None
    if not report:
        return None
    result = ImportResult(rows=report["rows"], counts=ImportCounts(**report["counts"]),
                          errors=[RowError(*error) for error in report["errors"]])
    result.error_count = report["error_count"]
    return result


@job_kind(KIND)
def xlsx_import(job, progress):
    params = job.params or {}
    stored = params.get("upload", "")
    try:
        importer_class = _importer_class(params.get("importer", ""))
        user = job.owner
        if user is None or not user.is_active:
            raise JobFailed(_("发起导入的用户已停用。"))
        progress(1, _("正在读取文件……"))
        try:
            with default_storage.open(stored, "rb") as fh:
                upload = File(fh, name=params.get("name") or "upload.xlsx")
                result = importer_class(user=user).run(upload, store_marked_copy=False, progress=progress)
        except FileNotFoundError:
            raise JobFailed(_("上传的文件已不存在，请重新上传。")) from None
        except UploadRefused as exc:
            raise JobFailed(str(exc)) from None
    finally:
        if stored:
            default_storage.delete(stored)
    report = {
        "rows": result.rows,
        "counts": {"created": result.counts.created, "updated": result.counts.updated,
                   "unchanged": result.counts.unchanged},
        "errors": [[e.row, e.column, e.message] for e in result.errors[:MAX_ERRORS_KEPT]],
        "error_count": len(result.errors),
    }
    # The job's own row keeps the report (its page shows it); the upload's path is gone with the file.
    Job.objects.filter(pk=job.pk).update(params={**params, "upload": "", "import_result": report})
    if result.ok:
        progress(100, _("导入完成：新增 %(c)s 条，更新 %(u)s 条，未变化 %(n)s 条。") % {
            "c": result.counts.created, "u": result.counts.updated, "n": result.counts.unchanged})
        return None
    progress(100, _("发现 %(n)s 处错误，本次没有保存任何数据。请修改后重新上传。") % {"n": len(result.errors)})
    if result.marked_copy:
        return JobFile(result.marked_name, result.marked_copy)
    return None
