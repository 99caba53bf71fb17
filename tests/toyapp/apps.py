"""A toy app of the test suite: it plugs into the platform the way a later app (volunteers,
inspections, the suggestion box) will, through public registries only — nothing under
campaigns/, notifications/ or core/ names it (tests/test_record_kinds.py checks both)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

KIND = "toy_cleanup"
MESSAGE_KIND = "toyapp.cleanup_filed"


class ToyAppConfig(AppConfig):
    name = "tests.toyapp"
    label = "toyapp"
    verbose_name = _("测试应用")

    def ready(self):
        from campaigns import record_kinds

        from .models import Cleanup

        # Cleanups count towards the obligations of their estate and of the firm managing it.
        cleanups = record_kinds.DatedRecords(Cleanup.objects.all, parties={"estate": "estate", "firm": "estate__firm"})
        record_kinds.register(record_kinds.RecordKindSpec(key=KIND, label=_("小区清洁"), **cleanups.hooks()))

        from notifications.registry import register_message_kind

        from .messages import render_cleanup_filed

        # The street office hears of each cleanup filed at an estate of its street (in-app and email).
        register_message_kind(MESSAGE_KIND, label=_("小区清洁已登记"), render=render_cleanup_filed)
