"""The dashboard panel of the firm portal (campaign pages; their navigation entries are registered in
apps.py, core/navigation.py).

It is lazy: nothing is queried unless a template shows it, so admin pages and
public pages pay nothing.
"""

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from . import selectors


def _panels(user):
    """Counts of every running campaign for the portal home (overdue first): overdue, due this week, returned."""
    return selectors.firm_campaign_panels(user=user, today=timezone.localdate())


def portal(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.firm_id):
        return {}
    return {
        "campaign_panels": SimpleLazyObject(lambda: _panels(user)),
    }
