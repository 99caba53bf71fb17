"""Reads of the notification service. In-app notifications belong to one user; the logs of
deliveries are scoped through the models' scope declarations like every other bureau list."""

import secrets

from core import cache
from estates import scoping

from .models import Digest, Notification

DIGEST_LINKS = {"agency": "agency"}


def notification_list(*, user):
    return Notification.objects.filter(user=user)


def notification_get(*, user, pk):
    return scoping.get_or_404(notification_list(user=user), pk=pk)


#: How long the navigation's unread count is cached at most: every write of a user's notifications forgets it
#: (notifications.outbox.unread_changed).
UNREAD_TTL = 60


def unread_key(user_id):
    return f"notifications:unread:{user_id}"


def unread_count(*, user):
    """The navigation's unread count. Every portal page shows it, so it is cached per user (core/cache.py);
    a new notification or one read forgets it after its commit."""
    if not (user and user.is_authenticated):
        return 0
    return cache.cached(unread_key(user.pk), lambda: Notification.objects.filter(
        user=user, read_at__isnull=True).count(), UNREAD_TTL)


def list_version_key(user_id):
    return f"notifications:list-version:{user_id}"


def list_version(*, user):
    """A random token per user, forgotten with the unread count by every write of the user's notifications
    (notifications.outbox.unread_changed): what the portal's cached list of them is keyed on."""
    return cache.cached(list_version_key(user.pk), lambda: secrets.token_hex(8), UNREAD_TTL * 5)


def digest_log(*, user):
    return scoping.restrict(Digest.objects.select_related("user", "agency"), user, **DIGEST_LINKS)
