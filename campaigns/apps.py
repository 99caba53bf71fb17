from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("创建活动管理")  # the app; its Campaign model is 创建活动

    def ready(self):
        # signals connects the registry → obligations receivers; receivers forgets the portal's kept parts
        # (records, people and locks versions) on the writes that change them.
        from . import builtin_record_kinds, receivers, signals  # noqa: F401

        builtin_record_kinds.register()
        # The campaigns' clients of the notification service: reminder senders, message kinds, event handlers.
        from . import messaging, reminders  # noqa: F401
