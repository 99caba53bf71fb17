"""Long jobs of the campaign engine: the large obligation export (see campaigns/exports.py).

One job kind for every obligation export that is too large for the request — the admin changelist's,
the firm portal's and the documents page's. Its parameters are selectors.obligation_search arguments
(ids and names), so the worker runs the very search the user's page ran, scoped to the job's owner.
"""

from django.utils.translation import gettext as _

from core.jobs import JobFailed, JobFile, job_kind, job_start, temporary_path

from . import exports, selectors

KIND = "campaigns.obligations_export"


def obligations_export_start(*, user, title=None, count=None, **search):
    """Queue an export of ``selectors.obligation_search(user=user, **search)``; ``search`` holds ids and
    names only (see selectors.OBLIGATION_SEARCH_ARGS)."""
    unknown = set(search) - set(selectors.OBLIGATION_SEARCH_ARGS)
    if unknown:
        raise TypeError(f"not obligation_search arguments: {sorted(unknown)}")
    params = {name: value for name, value in search.items() if value is not None}
    if count is not None:
        params["count"] = count
    return job_start(kind=KIND, user=user, title=str(title or _("任务责任导出")), params=params)


@job_kind(KIND)
def obligations_export(job, progress):
    user = job.owner
    if user is None or not user.is_active:
        raise JobFailed(_("发起导出的用户已停用。"))
    params = job.params or {}
    search = {name: params[name] for name in selectors.OBLIGATION_SEARCH_ARGS if params.get(name) not in (None, "")}
    progress(2, _("正在查询……"))
    path = temporary_path(".xlsx")
    try:
        total = exports.obligations_export(user=user, path=path, progress=progress, total=params.get("count"),
                                           **search)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    progress(99, _("共导出 %(n)s 行。") % {"n": total})
    return JobFile(exports.export_name(job.title or _("任务责任")), path)
