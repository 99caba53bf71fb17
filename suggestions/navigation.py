"""Where the suggestion box shows itself in the firm portal (core/navigation.py): 意见箱, after the
campaign pages and before 公告打印, with the number of entries waiting (new or overdue) as its badge."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.navigation import register_portal_nav

from .selectors import inbox


def _waiting(request):
    user = request.user
    if not getattr(user, "firm_id", None):
        return None
    return inbox.inbox_waiting(user=user)


def _waiting_keys(request):
    firm_id = getattr(request.user, "firm_id", None)
    return [inbox.waiting_key(firm_id, timezone.localdate())] if firm_id else []


register_portal_nav(35, "suggestions:inbox", _("意见箱"), badge=_waiting, badge_keys=_waiting_keys, active_views=(
    "suggestions:inbox_detail", "suggestions:inbox_acknowledge", "suggestions:inbox_start",
    "suggestions:inbox_reply", "suggestions:inbox_resolve", "suggestions:inbox_close", "suggestions:inbox_refer",
    "suggestions:reply_templates", "suggestions:reply_template_edit", "suggestions:reply_template_delete"))
