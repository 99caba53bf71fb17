from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "estates"
    verbose_name = _("机构与小区登记")

    def ready(self):
        from . import receivers  # noqa: F401 - connects the registry version's receivers
