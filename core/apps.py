from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("平台")

    def ready(self):
        from .history import use_local_time_in_history_names

        use_local_time_in_history_names()
