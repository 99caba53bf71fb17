import axes.apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    # The module holds other apps' configs too: this one is core's.
    default = True
    name = "core"
    verbose_name = _("平台")

    def ready(self):
        from .history import use_local_time_in_history_names

        use_local_time_in_history_names()


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (core/admin_site.py): the bureau landing page."""

    default = False
    default_site = "core.admin_site.PortalAdminSite"


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a Chinese name: its own AppConfig has none (the admin showed "Axes")."""

    default = False
    verbose_name = _("登录安全")
