"""Celery tasks of the suggestion box (scheduled in config/settings.py CELERY_BEAT_SCHEDULE): one call each."""

import datetime

from celery import shared_task

from . import sweeps


@shared_task(name="suggestions.sweep_overdue")
def sweep_overdue(today=None):
    day = datetime.date.fromisoformat(today) if today else None
    result = sweeps.sweep_overdue(today=day)
    return {**result.__dict__, "today": str(result.today)}


@shared_task(name="suggestions.erase_personal_data")
def erase_personal_data():
    return {"erased": sweeps.erase_expired()}
