"""Reads of the notification service. In-app notifications belong to one user; the logs of
deliveries are scoped through the models' scope declarations like every other bureau list."""

from estates import scoping

from .models import Digest, Notification

DIGEST_LINKS = {"agency": "agency"}


def notification_list(*, user):
    return Notification.objects.filter(user=user)


def notification_get(*, user, pk):
    return scoping.get_or_404(notification_list(user=user), pk=pk)


def unread_count(*, user):
    if not (user and user.is_authenticated):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def digest_log(*, user):
    return scoping.restrict(Digest.objects.select_related("user", "agency"), user, **DIGEST_LINKS)
