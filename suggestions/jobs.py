"""Job kinds of the suggestion box (core/jobs.py): the poster batch, as ONE PDF.

The worker reloads the selection by the owner's scope: a job never prints more than its owner may see."""

from django.http import Http404
from django.utils.translation import gettext as _

from core.jobs import JobFailed, JobFile, job_kind

from . import posters


@job_kind("suggestions.posters_batch")
def posters_batch(job, progress):
    from .poster_services import posters_printed

    progress(2, _("正在准备小区名单……"))
    try:
        estates = posters.poster_estates(user=job.owner, **job.params["scope"])
    except Http404:
        raise JobFailed(_("所选范围不存在或不在您的管辖范围内。")) from None
    ids = list(estates.values_list("pk", flat=True))

    def report(percent):
        progress(percent, _("正在排版 %(n)s 个小区的海报（%(p)s%%）……") % {"n": len(ids), "p": percent})

    pdf = posters.posters_pdf(estates, progress=report)
    posters_printed(estate_ids=ids, user=job.owner)
    progress(99, _("已生成 %(n)s 个小区的海报。") % {"n": len(ids)})
    return JobFile(f"{job.title or _('网上意见箱海报')}.pdf", pdf)
