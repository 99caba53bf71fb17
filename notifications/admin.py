"""Bureau-side admin of the notification service: the outbox's message log (read-only, scoped by
the message's recipient organisation), with a resend action for failed messages. The campaigns'
reminder log, digests and policies are the campaigns' admin (campaigns/admin_reminders.py)."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.pagination import IdsFirstPaginator
from core.text import with_note
from core.xlsx_admin import XlsxAdminMixin
from estates.scoped_admin import ScopedAdmin

from . import outbox
from .admin_mixins import DeliveryAdminMixin
from .models import OutboxMessage
from .registry import message_kinds


class MessageKindFilter(admin.SimpleListFilter):
    """The registered message kinds (notifications/registry.py) as the choices: Django's filter of the field's
    values runs SELECT DISTINCT over every message on each request."""

    title = gettext_lazy("消息类型")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(((name, spec.label) for name, spec in message_kinds().items()), key=lambda c: str(c[1]))

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(XlsxAdminMixin, DeliveryAdminMixin, ScopedAdmin):
    list_display = ("date", "kind_label", "subject", "recipient_label", "state", "attempts", "sent_at",
                    "recipients_short", "error_short")
    list_filter = ("state", MessageKindFilter, "recipient_kind", "date")
    # The page's ids first, through the outbox_date_id index; no date hierarchy (its MIN/MAX and DISTINCT
    # DATE_TRUNC scanned every message on each request; the "date" filter reads none).
    paginator = IdsFirstPaginator
    date_hierarchy = None
    search_fields = ("subject", "key", "recipient", "recipients")
    list_select_related = ("user", "agency", "firm")
    exclude = ("claim_token",)
    actions = ["resend_selected"]

    @admin.display(description=gettext_lazy("消息类型"), ordering="kind")
    def kind_label(self, obj):
        spec = message_kinds().get(obj.kind)
        # A str: the admin compares a lazy label with each empty value before it shows it (a translation each).
        return str(spec.label) if spec else obj.kind

    @admin.display(description=gettext_lazy("接收方"))
    def recipient_label(self, obj):
        if obj.recipient_kind == OutboxMessage.RecipientKind.ADDRESS:
            return with_note(obj.address, obj.address_channel)
        return str(obj.user or obj.agency or obj.firm)

    @admin.action(description=gettext_lazy("立即重发所选的失败消息"))
    def resend_selected(self, request, queryset):
        count = outbox.resend(OutboxMessage, pks=list(queryset.values_list("pk", flat=True)))
        if not count:
            self.message_user(request, _("所选消息中没有可重发的（已发送、已跳过或已达重试上限）。"), messages.WARNING)
            return
        self.message_user(request, _("已重发 %(count)s 条消息。") % {"count": count}, messages.SUCCESS)
