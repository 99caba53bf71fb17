from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = _("网上意见箱")

    def ready(self):
        from . import messaging

        messaging.register()
