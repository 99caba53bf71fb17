"""Where campaigns show themselves (core/navigation.py): their pages in the firm portal's navigation, after
首页 and before 公告打印, and their panel on the admin's landing page."""

from django.utils.translation import gettext_lazy as _

from core.navigation import register_landing_panel, register_portal_nav

from . import selectors

register_portal_nav(10, "campaigns:obligations", _("我的任务"), active_views=("campaigns:obligation_detail",))
register_portal_nav(20, "campaigns:trainings", _("培训与活动"), active_views=("campaigns:activities",))
register_portal_nav(30, "campaigns:coordinators", _("协调员"), active_views=("campaigns:roster_upload",))
register_landing_panel(10, "landing", "admin/campaigns/landing_panel.html", selectors.bureau_landing)
