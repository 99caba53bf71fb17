"""A single save or delete of a notification forgets its user's cached unread count (notifications/selectors.py),
as the bulk writers do explicitly (notifications.outbox.unread_changed)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Notification
from .outbox import unread_changed


@receiver([post_save, post_delete], sender=Notification, dispatch_uid="notifications-unread-changed")
def notification_saved(sender, instance, **kwargs):
    unread_changed({instance.user_id})
