from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core import navigation


def portal(request):
    """Values every page template may use. ``portal_nav`` (core/navigation.py) is lazy: only the portal's
    pages, which show it, pay for it (and it queries nothing)."""
    return {"SITE_URL": settings.SITE_URL, "portal_nav": SimpleLazyObject(lambda: navigation.portal_nav(request))}
