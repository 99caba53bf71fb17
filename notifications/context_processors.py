from django.utils.functional import SimpleLazyObject

from . import selectors


def unread(request):
    """The unread count for the navigation, computed only by templates that show it."""
    user = getattr(request, "user", None)
    return {"notifications_unread": SimpleLazyObject(lambda: selectors.unread_count(user=user))}
