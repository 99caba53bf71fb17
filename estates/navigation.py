"""The firm portal's shell in its navigation (core/navigation.py): its home first, the firm's own data last."""

from django.utils.translation import gettext_lazy as _

from core.navigation import register_portal_nav

register_portal_nav(0, "portal:dashboard", _("首页"))
register_portal_nav(90, "portal:firm_edit", _("企业信息"))
