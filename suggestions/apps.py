from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = _("网上意见箱")

    def ready(self):
        from . import messaging, record_kinds, report, signals  # noqa: F401 - signals connect on import

        messaging.register()
        record_kinds.register()  # the campaigns' "suggestion box" task (campaigns/record_kinds.py)
        report.register()  # its section of the campaign summary report (core/report_sections.py)
