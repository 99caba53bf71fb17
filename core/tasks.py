"""Celery tasks of the platform: the long-job runner and the expired-file sweep."""

from celery import shared_task

from . import jobs
from .xlsx import import_job  # noqa: F401  (registers the job kind "core.xlsx_import" in the worker)


@shared_task(name="core.run_job", acks_late=True, ignore_result=True)
def run_job(job_id):
    # Takes the id only: the worker reloads the row (see core/jobs.py).
    jobs.job_run(job_id)


@shared_task(name="core.cleanup_expired_jobs", ignore_result=True)
def cleanup_expired_jobs():
    return jobs.job_cleanup_expired()
