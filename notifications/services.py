"""Writes of the notification service: in-app notifications, and the outbox's public API.

The exactly-once protocol (store under a unique key, claim with lease and token, send, retry)
lives in notifications/outbox.py; message kinds are registered in notifications/registry.py;
apps queue messages with :func:`enqueue` (or emit events, notifications/events.py, that their
own handlers turn into messages). notifications/ imports no app that uses it: the campaigns'
reminders and digests are clients like any other (campaigns/reminders.py).
"""

from django.utils import timezone

from .models import Notification
from .outbox import (  # noqa: F401  (the public API of the outbox, re-exported)
    BatchResult,
    SweepResult,
    Targets,
    Undeliverable,
    claim_batch,
    dispatch,
    enqueue,
    enqueue_many,
    flush,
    fold_digests,
    notify,
    reclaim_failed,
    register_sender,
    release,
    resend,
    send_batch,
    send_rows,
    unread_changed,
)


def notification_mark_read(*, notification):
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        unread_changed({notification.user_id})
    return notification


def notification_mark_all_read(*, user):
    marked = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    unread_changed({user.pk})
    return marked
