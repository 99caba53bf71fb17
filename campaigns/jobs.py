"""Long jobs of the campaign engine: the large obligation export (see campaigns/exports.py)."""

from django.contrib import admin
from django.http import QueryDict
from django.test import RequestFactory
from django.utils.translation import gettext as _

from core.jobs import JobFailed, JobFile, job_kind, temporary_path

from . import exports, selectors
from .models import Obligation


def _admin_queryset(user, query):
    """The admin changelist's own queryset for ``user`` and the query string they exported:
    rebuilt through the ModelAdmin so that scope, filters, search and ordering are exactly
    those of the list the user was looking at."""
    request = RequestFactory().get("/", QueryDict(query))
    request.user = user
    model_admin = admin.site.get_model_admin(Obligation)
    return model_admin.get_changelist_instance(request).queryset


def _portal_queryset(user, params):
    campaign = None
    if params.get("campaign"):
        campaign = selectors.campaign_list(user=user).filter(pk=params["campaign"]).first()
        if campaign is None:
            raise JobFailed(_("所选活动不存在或不在您的权限范围内。"))
    estate = None
    if params.get("estate"):
        from estates.selectors import estate_list

        estate = estate_list(user=user).filter(pk=params["estate"]).first()
        if estate is None:
            raise JobFailed(_("所选小区不存在或不在您的权限范围内。"))
    return selectors.firm_obligations(user=user, campaign=campaign, filter=params.get("filter"), estate=estate)


@job_kind("campaigns.obligations_export")
def obligations_export(job, progress):
    user = job.owner
    if user is None or not user.is_active:
        raise JobFailed(_("发起导出的用户已停用。"))
    params = job.params or {}
    if params.get("source") == "admin":
        qs = _admin_queryset(user, params.get("query", ""))
    else:
        qs = _portal_queryset(user, params)
    total = params.get("count") or qs.count()
    progress(1, _("正在导出 %(n)s 条任务责任……") % {"n": total})
    path = temporary_path(".xlsx")
    exports.export_obligations_path(qs, path, progress=progress, total=total)
    return JobFile(exports.export_name(_("任务责任")), path)
