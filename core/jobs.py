"""Long jobs run off the request: one registry of job kinds, one runner, one access rule.

A job kind is a function ``(job, progress)`` registered under a dotted name::

    @job_kind("documents.letters_batch")
    def letters_batch(job, progress):
        ...
        progress(40, _("已生成 120/300 份"))
        return JobFile("公开信.pdf", pdf_bytes)

It returns a :class:`JobFile` (bytes, or the path of a temporary file that the runner
moves into storage and deletes, so large exports never sit in memory), or ``None`` when
the job produces no file. Raising :class:`JobFailed` stores its (Chinese) message for
the user; any other exception is logged and the user sees a generic Chinese message.

:func:`job_start` creates the row for the user's organisation and queues the Celery task
``core.run_job`` when the transaction commits. With no broker (the embedded default,
``CELERY_TASK_ALWAYS_EAGER``) the job runs in a background thread of the web process
(``JOBS_IN_THREADS``), so the request returns at once and the progress page shows the same
progress bar as with Celery; tests keep it eager (conftest.py), the job done before
``job_start`` returns. The worker reloads the job by id, claims it with a conditional
update (so a redelivered task never runs it twice), runs the function and stores the
file with its expiry (``settings.JOB_FILE_TTL_HOURS``).

Kinds live in any app's ``jobs.py`` or ``tasks.py``; both are imported on first lookup.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import OperationalError, connections, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from core.text import join_messages

from .models import Job

logger = logging.getLogger(__name__)

_KINDS = {}
_discovered = False
# A running job whose worker has not finished it after this long is presumed dead.
JOB_LEASE = timedelta(hours=2)


class JobFailed(Exception):
    """A failure whose message (Chinese, for the user) is stored on the job."""


@dataclass
class JobFile:
    """The result of a job: ``content`` is bytes or the path of a temporary file."""

    name: str
    content: bytes | str | Path


def job_kind(name):
    """Register ``fn(job, progress)`` as the job kind ``name``."""

    def decorator(fn):
        if name in _KINDS and _KINDS[name] is not fn:
            raise ValueError(f"job kind {name!r} registered twice")
        _KINDS[name] = fn
        fn.job_kind = name
        return fn

    return decorator


def get_job_function(kind):
    global _discovered
    if kind not in _KINDS and not _discovered:
        autodiscover_modules("jobs")
        autodiscover_modules("tasks")
        _discovered = True
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"unknown job kind {kind!r}") from None


def _update_job(job_id, *conditions, **fields):
    """One UPDATE of the job row, retried while the table is locked.

    SQLite in shared-cache mode (the test database, and any in-memory set-up) answers "table is locked"
    at once instead of waiting out its timeout when a page is reading the job row as the job thread
    writes it: a short retry lets the progress page and the job share the row. Other errors raise.
    """
    for attempt in range(40):
        try:
            return Job.objects.filter(*conditions, pk=job_id).update(**fields)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 39:
                raise
            time.sleep(0.05)


class Progress:
    """The callback a job function reports through: ``progress(percent, message="")``.

    Writes one UPDATE only when the whole percentage or the message changes, so a loop
    may call it for every row without flooding the database.
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.percent = job.progress
        self.message = job.message

    def __call__(self, percent, message=None):
        percent = max(0, min(100, int(percent)))
        message = self.message if message is None else str(message)
        if percent == self.percent and message == self.message:
            return
        try:
            _update_job(self.job_id, progress=percent, message=message)
        except OperationalError:  # progress is for show: a locked row must not fail the job itself
            logger.warning("job %s: progress %s%% not stored (database locked)", self.job_id, percent)
            return
        self.percent, self.message = percent, message

    def step(self, done, total, message=None, *, start=0, end=100):
        """Report ``done`` of ``total`` mapped onto the range ``start``–``end``."""
        fraction = done / total if total else 1
        self(start + (end - start) * fraction, message)


def organisation_key_of(user):
    """The generic key of the user's organisation (core.models.generic_key), from its id alone: no query.
    "" for a user of no organisation (a superuser without one)."""
    return getattr(user, "organisation_key", "") or ""


def job_start(*, kind, user, params=None, title=""):
    """Create a job for ``user`` (and their organisation) and queue it after commit."""
    get_job_function(kind)  # unknown kinds fail here, in the request, not in the worker
    job = Job(kind=kind, owner=user, params=params or {}, title=title[:200], organisation=organisation_key_of(user))
    job.full_clean()
    with transaction.atomic():
        job.save()
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id):
    from .tasks import run_job

    if getattr(settings, "JOBS_IN_THREADS", False) and run_job.app.conf.task_always_eager:
        # No broker (the embedded default): an eager task would run inside this request and keep the
        # user waiting 10 s with no feedback. A thread lets the progress page appear at once and poll.
        threading.Thread(target=_run_in_thread, args=(job_id,), name=f"job-{job_id}", daemon=True).start()
        return
    try:
        run_job.delay(str(job_id))
    except Exception:  # broker down: say so on the job instead of leaving it pending forever
        logger.exception("could not queue job %s", job_id)
        with translation.override(settings.LANGUAGE_CODE):
            _finish_failed(job_id, _("任务队列暂时不可用，请稍后重新发起。"))


def _run_in_thread(job_id):
    try:
        job_run(job_id)
    except Exception:  # job_run stores the job's own failures; this is the runner failing around it
        logger.exception("job %s failed in its thread", job_id)
        with translation.override(settings.LANGUAGE_CODE):
            _finish_failed(job_id, _("处理失败：系统内部错误，请稍后重试；如仍失败，请联系管理员。"))
    finally:
        connections.close_all()  # this thread's own connections, which nothing else would close


def _finish_failed(job_id, message):
    _update_job(job_id, state=Job.State.FAILED, message=message, finished_at=timezone.now())


def job_run(job_id):
    """Run one job in the worker (or in-process in eager mode). Returns the job."""
    now = timezone.now()
    # Claim by conditional update: a redelivered task finds the job taken and stops; a job
    # whose worker died (still "running" after the lease) is taken again.
    claimable = Q(state=Job.State.PENDING) | Q(state=Job.State.RUNNING, started_at__lt=now - JOB_LEASE)
    claimed = _update_job(job_id, claimable, state=Job.State.RUNNING, started_at=now, progress=0)
    job = Job.objects.select_related("owner").get(pk=job_id)
    if not claimed:  # already run (redelivered task) or being run elsewhere
        return job
    with translation.override(settings.LANGUAGE_CODE):
        try:
            function = get_job_function(job.kind)
            result = function(job, Progress(job))
            _store_result(job, result)
        except JobFailed as exc:
            _finish_failed(job.pk, str(exc))
        except ValidationError as exc:
            _finish_failed(job.pk, join_messages(exc.messages))
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _finish_failed(job.pk, _("处理失败：系统内部错误，请稍后重试；如仍失败，请联系管理员。"))
    job.refresh_from_db()
    return job


def _store_result(job, result):
    finished = timezone.now()
    fields = {"state": Job.State.DONE, "progress": 100, "finished_at": finished}
    if result is not None:
        job_attach_file(job, name=result.name, content=result.content)
        fields.update(result=job.result.name, result_name=job.result_name, expires_at=job.expires_at)
    message = Job.objects.filter(pk=job.pk).values_list("message", flat=True).first()
    if not message:
        fields["message"] = _("已完成。")
    _update_job(job.pk, **fields)


def job_attach_file(job, *, name, content):
    """Store ``content`` (bytes or a temporary file path, which is removed) as the job's file.

    Public so that work done outside the runner (an import writing its marked error copy)
    can offer a download through the same page and the same access rule.
    """
    if isinstance(content, (str, Path)):
        path = Path(content)
        try:
            with path.open("rb") as fh:
                job.result.save(name, File(fh), save=False)
        finally:
            path.unlink(missing_ok=True)
    else:
        job.result.save(name, ContentFile(content), save=False)
    job.result_name = name[:200]
    job.expires_at = timezone.now() + timedelta(hours=settings.JOB_FILE_TTL_HOURS)
    if job.pk and not job._state.adding:
        Job.objects.filter(pk=job.pk).update(
            result=job.result.name, result_name=job.result_name, expires_at=job.expires_at
        )
    return job


# --- access -------------------------------------------------------------------------------------


def job_visible_q(user):
    """Jobs a user may follow and download: their own and their organisation's."""
    if not (user and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    q = Q(owner=user)
    organisation = organisation_key_of(user)
    if organisation:
        q |= Q(organisation=organisation)
    return q


def job_get(*, user, pk):
    """The job, or 404 for "missing" and "not yours" alike."""
    try:
        return Job.objects.filter(job_visible_q(user)).get(pk=pk)
    except (Job.DoesNotExist, ValueError, ValidationError):
        raise Http404


def job_is_expired(job, *, now=None):
    now = now or timezone.now()
    if job.state != Job.State.DONE or not job.result_name:
        return False
    return (job.expires_at is not None and job.expires_at <= now) or not job.result


def job_cleanup_expired(*, now=None):
    """Delete the files of expired jobs (the rows stay as history). Returns how many.

    Also closes jobs left running past the lease by a worker that died, so their page
    stops polling and says what happened.
    """
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        Job.objects.filter(state=Job.State.RUNNING, started_at__lt=now - JOB_LEASE).update(
            state=Job.State.FAILED, finished_at=now, message=_("任务中断（处理进程意外退出），请重新发起。")
        )
    count = 0
    for job in Job.objects.filter(expires_at__lte=now).exclude(result="").iterator():
        try:
            job.result.delete(save=False)
        except OSError:
            logger.warning("could not delete %s", job.result.name)
        # Conditional: a job re-run meanwhile keeps its new file.
        count += Job.objects.filter(pk=job.pk, expires_at__lte=now).update(result="")
    return count


def temporary_path(suffix):
    """A temporary file path for a job to write a large result into (moved into storage)."""
    import tempfile

    fd, name = tempfile.mkstemp(suffix=suffix, prefix="job-")
    os.close(fd)
    return Path(name)
