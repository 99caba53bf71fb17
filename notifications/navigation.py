"""What the portal's shell reads of the notification service on every page (core/navigation.py): the unread
count beside the bell, read ahead with the page's other cache keys by ``core.navigation.prefetch``."""

from core.navigation import register_page_keys

from . import selectors


def _unread_keys(request):
    user = getattr(request, "user", None)
    return [selectors.unread_key(user.pk)] if user is not None and user.is_authenticated else []


register_page_keys("notifications.unread", _unread_keys)
