"""Job kinds of the documents app (run by core/jobs.py in the Celery worker or in-process).

Each reloads what it needs by id and re-applies the owner's scope: a job never prints
more than its owner may see, even if their organisation changed since it was queued.
"""

from django.http import Http404
from django.utils.translation import gettext as _

from core.jobs import JobFailed, JobFile, job_kind

from . import selectors, services


def _owner_campaign(job):
    campaign_id = job.params.get("campaign_id")
    if not campaign_id:
        return None
    try:
        return selectors.campaign_get(user=job.owner, pk=campaign_id)
    except Http404:
        raise JobFailed(_("所选创建活动不存在或不在您的管辖范围内。"))


@job_kind("documents.letters_batch")
def letters_batch(job, progress):
    progress(2, _("正在准备小区名单……"))
    try:
        estates = selectors.print_estates(user=job.owner, **job.params["scope"])
    except Http404:
        raise JobFailed(_("所选范围不存在或不在您的管辖范围内。"))
    campaign = _owner_campaign(job)
    total = estates.count()

    def report(percent):
        progress(percent, _("正在排版 %(n)s 个小区的文书（%(p)s%%）……") % {"n": total, "p": percent})

    pdf = services.notices_pdf(kinds=job.params["kinds"], campaign=campaign, estates=estates, progress=report)
    progress(99, _("已生成 %(n)s 个小区的文书。") % {"n": total})
    return JobFile(f"{job.title or _('公告')}.pdf", pdf)


@job_kind("documents.campaign_report")
def campaign_report(job, progress):
    from datetime import date

    from estates import scoping

    campaign = _owner_campaign(job)
    try:
        agency = scoping.get_or_404(selectors.report_agencies(user=job.owner), pk=job.params["agency_id"])
    except Http404:
        raise JobFailed(_("所选单位不存在或不在您的管辖范围内。"))
    progress(5, _("正在汇总进度数据……"))
    as_of = date.fromisoformat(job.params["as_of"])

    def report(percent):
        progress(percent, _("正在生成报告（%(p)s%%）……") % {"p": percent})

    pdf = services.campaign_report_pdf(user=job.owner, campaign=campaign, agency=agency, as_of=as_of,
                                       progress=report)
    return JobFile(f"{job.title or _('进展情况报告')}.pdf", pdf)
