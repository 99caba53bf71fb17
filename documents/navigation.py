"""The printable notices in the firm portal's navigation (core/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import register_portal_nav

register_portal_nav(40, "documents:portal", _("公告打印"))
