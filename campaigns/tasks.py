"""Celery tasks of the campaigns' reminders (campaigns/reminders.py): one service call each.

The task names keep their ``notifications.`` prefix: django-celery-beat's database schedule and
running deployments know the reminders by these names, which predate the move out of notifications/.
"""

import datetime

from celery import shared_task

from . import reminders


def _day(value):
    return datetime.date.fromisoformat(value) if value else None


@shared_task(name="notifications.sweep_reminders")
def sweep_reminders(today=None):
    return reminders.sweep_reminders(today=_day(today)).__dict__ | {"today": str(_day(today) or "")}


@shared_task(name="notifications.sweep_digest")
def sweep_digest(today=None):
    return reminders.sweep_digest(today=_day(today)).__dict__ | {"today": str(_day(today) or "")}
