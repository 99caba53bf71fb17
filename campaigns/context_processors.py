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


def _panel(user):
    """Counts of the current campaign for the portal home: overdue, due this week, returned."""
    today = timezone.localdate()
    campaign = selectors.campaign_current(user=user, today=today)
    counts = selectors.filter_counts(user=user, campaign=campaign, today=today) if campaign else {}
    return {"campaign": campaign, "counts": counts}


def portal(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.firm_id):
        return {}
    return {
        "portal_nav": SimpleLazyObject(lambda: _nav(request)),
        "campaign_panel": SimpleLazyObject(lambda: _panel(user)),
    }
