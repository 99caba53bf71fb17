"""Celery tasks of the notification service: each parses its input and makes one service call.

``send_queued`` (queued once after each commit that stored outbox messages) claims them and
queues a ``send_batch`` per batch; ``send_batch`` sends the rows one claim token owns, for any
registered sender (the outbox, the campaigns' reminder log); on an SMTP failure it takes its
failed rows back and retries with exponential backoff (REMINDER_RETRY_BACKOFF seconds, doubled
each time). Whatever is still failed after the retries is claimed by the next sweep or the hourly
flush. The campaigns' daily sweeps are their own tasks (campaigns/tasks.py).
"""

import datetime

from celery import shared_task
from django.conf import settings

from . import outbox


def _day(value):
    return datetime.date.fromisoformat(value) if value else None


@shared_task(bind=True, name="notifications.send_batch", max_retries=3, acks_late=True)
def send_batch(self, kind, token, today=None):
    if self.request.retries:
        # Take back this batch's failed rows, unless a sweep claimed them in the meantime.
        outbox.reclaim_failed(outbox.sender(kind).model, token=token)
    result = outbox.send_batch(kind=kind, token=token, today=_day(today))
    if result.retry and not self.request.is_eager and self.request.retries < self.max_retries:
        countdown = getattr(settings, "REMINDER_RETRY_BACKOFF", 60) * 2 ** self.request.retries
        raise self.retry(countdown=countdown)
    return result.__dict__


@shared_task(name="notifications.send_queued", acks_late=True)
def send_queued():
    """After a commit that stored outbox messages: claim what is claimable, one ``send_batch`` per batch."""
    result = outbox.send_queued()
    return result.__dict__ | {"today": str(result.today)}


@shared_task(name="notifications.flush")
def flush(today=None):
    """Hourly: fold yesterday's held events into their digests, send whatever is claimable."""
    result = outbox.flush(today=_day(today))
    return result.__dict__ | {"today": str(result.today)}
