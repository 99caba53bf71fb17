"""Navigation items and the dashboard panel of the firm portal (campaign pages).

Both are lazy: nothing is queried unless a template shows them, so admin pages and
public pages pay nothing.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from . import selectors


def _nav(request):
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = [
        ("campaigns:obligations", _("我的任务"), ("campaigns:obligations", "campaigns:obligation_detail")),
        ("campaigns:trainings", _("培训与活动"), ("campaigns:trainings", "campaigns:activities")),
        ("campaigns:coordinators", _("协调员"), ("campaigns:coordinators", "campaigns:roster_upload")),
    ]
    return [{"url": reverse(name), "label": label, "active": current in names} for name, label, names in items]


def _panels(user):
    """Counts of every running campaign for the portal home (overdue first): overdue, due this week, returned."""
    return selectors.firm_campaign_panels(user=user, today=timezone.localdate())


def portal(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.firm_id):
        return {}
    return {
        "portal_nav": SimpleLazyObject(lambda: _nav(request)),
        "campaign_panels": SimpleLazyObject(lambda: _panels(user)),
    }
