"""Pages of a long job: progress (polling a JSON endpoint) and the download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache

from . import jobs
from .models import Job
from .xlsx import import_job


def _base_template(user):
    return "portal/base.html" if user.firm_id else "core/job_base.html"


def _local(value):
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


def _status(job):
    expired = jobs.job_is_expired(job)
    return {
        "id": str(job.pk),
        "state": job.state,
        "state_display": job.get_state_display(),
        "progress": job.progress,
        "message": job.message,
        "done": job.state == Job.State.DONE,
        "failed": job.state == Job.State.FAILED,
        "expired": expired,
        "has_file": bool(job.result_name),
        "file_name": job.result_name,
        "download_url": reverse("jobs:download", args=[job.pk]) if job.result_name and not expired else "",
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        # What the page shows: local time in the page's own format, not the browser's clock and locale.
        "expires_display": _local(job.expires_at),
        # An import's result (counts or errors) is part of the page: reload it once the job ends.
        "reload_when_finished": job.kind == import_job.KIND,
    }


@never_cache
@login_required
def job_detail(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    context = {"job": job, "status": _status(job), "base_template": _base_template(request.user),
               "import_result": import_job.job_import_result(job) if job.state == Job.State.DONE else None}
    return render(request, "core/job_detail.html", context)


@never_cache
@login_required
def job_status(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    return JsonResponse(_status(job))


@never_cache
@login_required
def job_download(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    if jobs.job_is_expired(job):
        return render(
            request, "core/job_expired.html", {"job": job, "base_template": _base_template(request.user)}, status=410
        )
    if job.state != Job.State.DONE or not job.result_name:
        return redirect("jobs:detail", pk=job.pk)
    try:
        handle = job.result.open("rb")
    except FileNotFoundError:
        return render(
            request, "core/job_expired.html", {"job": job, "base_template": _base_template(request.user)}, status=410
        )
    return FileResponse(handle, as_attachment=True, filename=job.result_name)
