"""Bureau-side admin of the campaigns' reminders: the reminder and digest logs (read-only,
scoped), reminder policies, and the manual reminder page (one service call). The models are
the notification service's (app label ``notifications``, so the admin URLs keep their names);
the campaigns own these pages because they know what an obligation is (campaigns/reminders.py).
Imported by campaigns/admin.py."""

import hashlib

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.pagination import IdsFirstPaginator
from core.text import join_list
from core.xlsx_admin import XlsxAdminMixin
from estates import scoping
from estates.models import Agency
from estates.scoped_admin import ScopedAdmin
from notifications.admin_mixins import DeliveryAdminMixin
from notifications.forms import ManualReminderForm
from notifications.models import Digest, ListVersion, Reminder, ReminderPolicy

from . import reminders as services
from .models import Campaign, Obligation

_REMIND_LINKS = {}


def _remind_link():
    """The manual reminder page's URL and the link's text, once per script prefix and language (not a reverse()
    and a translation for every row of the log)."""
    key = (get_script_prefix(), get_language())
    link = _REMIND_LINKS.get(key)
    if link is None:
        link = _REMIND_LINKS[key] = (reverse("admin:notifications_reminder_remind"), _("催办"))
    return link


@admin.register(Reminder)
class ReminderAdmin(XlsxAdminMixin, DeliveryAdminMixin, ScopedAdmin):
    xlsx_exclude = ("remind_again",)
    list_display = ("date", "kind", "state", "task_title", "party", "due_date", "attempts", "sent_at",
                    "recipients_short", "error_short", "remind_again")
    list_filter = ("state", "kind", "date", "campaign")
    search_fields = ("obligation__task__title", "obligation__estate__name", "obligation__firm__name",
                     "obligation__agency__name", "recipients")
    # Scoped by ScopedAdmin from Reminder.scope_links (through the obligation: the rows of services.reminder_log,
    # whose own filter came on top of that one, the same condition twice in the page's count and its query), and
    # joined to what the columns show only (reminder_log also joins the campaign and the requester).
    list_select_related = ("obligation__task", "obligation__estate", "obligation__firm", "obligation__agency")
    #: What the columns show (and __str__, the checkbox's label): the task's requirement and lists, the parties'
    #: addresses and the reminder's claim columns stay in the database (ScopedAdmin.list_only).
    list_only = ("date", "kind", "state", "due_date", "attempts", "sent_at", "recipients", "last_error",
                 "obligation__task__title", "obligation__estate__name", "obligation__firm__name",
                 "obligation__agency__name", "obligation__agency__short_name")
    actions = ["resend_selected"]
    # The page's ids first, through the reminder_date_id index (issue 16): the nine-table join for 50 rows only.
    paginator = IdsFirstPaginator
    # No date hierarchy: its SELECT DISTINCT DATE_TRUNC ran over every reminder of the join (1.25 s at 143,000,
    # docs/PERFORMANCE.md); the "date" list filter (today, past 7 days, this month, this year) reads no rows.
    date_hierarchy = None

    def list_cache_version(self, request):
        """The reminder log's count and rendered rows kept (ScopedChangeList) under, read in one query: the
        reminders' ListVersion (renewed in the transaction of every write of a reminder: the sweep's inserts, a
        manual reminder, the outbox's claim, end, resend and retry, campaigns/reminders.py, notifications/outbox.py)
        and the campaigns' figures tokens (the task titles and the parties' names the rows show: a renamed task,
        estate, firm or agency renews them, campaigns/signals.py; a deleted campaign, with its reminders, changes
        the list). From the database, so every worker sees a write at once. None (nothing kept) without a
        campaign, or before the version's row exists."""
        rows = list(Campaign.objects.order_by("pk").annotate(
            reminders=Subquery(ListVersion.objects.filter(name=Reminder.list_version).values("token")[:1]),
        ).values_list("pk", "figures_token", "reminders"))
        if not rows or rows[0][2] is None:
            return None
        return hashlib.sha256(repr(rows).encode()).hexdigest()[:24]

    def scope_queryset(self, request, queryset):
        """Reminder.scope_links (through the obligation) as a test of the reminder's own column: ``obligation_id IN
        (the obligations the user sees, by Obligation.scope_links)``, the same rows as ScopedAdmin's condition through
        the join, without the join: PostgreSQL then walks reminder_date_id backwards for the page's 50 ids instead of
        hashing every obligation and sorting every reminder (38 -> under 1 ms for a city's 14,000 reminders), and
        counts the reminders alone. For a city's staff holding the whole registry (scoping.whole_registry_q, tested
        in the same statement) every obligation is visible, each having exactly one party
        (obligation_exactly_one_party): the subquery is not even run."""
        user = request.user
        if scoping.sees_everything(user):
            return queryset
        q = Q(obligation_id__in=Obligation.objects.filter(scoping.visible_q(Obligation, user)).values("pk"))
        if user.is_active and user.agency_id and user.agency.level == Agency.Level.CITY:
            q = Q(scoping.whole_registry_q(user)) | q
        return queryset.filter(q)

    @admin.display(description=gettext_lazy("工作任务"), ordering="obligation__task__title")
    def task_title(self, obj):
        return obj.obligation.task.title

    @admin.display(description=gettext_lazy("责任主体"))
    def party(self, obj):
        return obj.obligation.party

    @admin.display(description=gettext_lazy("催办"))
    def remind_again(self, obj):
        url, label = _remind_link()
        return format_html('<a href="{}?obligation={}">{}</a>', url, obj.obligation_id, label)

    @admin.action(description=gettext_lazy("立即重发所选的失败提醒"))
    def resend_selected(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        count = services.resend(Reminder, pks=pks)
        if not count:
            self.message_user(request, _("所选提醒中没有可重发的（已发送、已跳过或已达重试上限）。"), messages.WARNING)
            return
        # Say what came of it, as the manual reminder does: a resend to nobody is not "sent".
        states = dict(Reminder.objects.filter(pk__in=pks).values_list("state").annotate(n=Count("pk")).order_by())
        State = Reminder.State
        sent, nobody, failed, skipped = (states.get(s, 0) for s in (State.SENT, State.NO_RECIPIENT, State.FAILED,
                                                                     State.SKIPPED))
        queued = states.get(State.SENDING, 0) + states.get(State.PENDING, 0)
        text = _("已重发 %(count)s 条：发送成功 %(sent)s 条，无接收人 %(nobody)s 条，"
                 "发送失败 %(failed)s 条，已跳过 %(skipped)s 条，排队中 %(queued)s 条。")
        self.message_user(request, text % {"count": count, "sent": sent, "nobody": nobody, "failed": failed,
                                           "skipped": skipped, "queued": queued},
                          messages.SUCCESS if not (nobody or failed) else messages.WARNING)

    def _report_manual(self, request, reminder, obligation):
        """Say what really happened to the reminder just made: sent (to whom), nobody to receive it
        (who to add), failed, or queued for the worker (with a broker the send is not done yet)."""
        reminder.refresh_from_db()
        party = obligation.party
        if reminder.state == Reminder.State.SENT:
            self.message_user(request, _("已向“%(party)s”发送催办提醒，接收人：%(to)s。")
                              % {"party": party, "to": reminder.recipients}, messages.SUCCESS)
        elif reminder.state == Reminder.State.NO_RECIPIENT:
            self.message_user(request, _("催办提醒未发出：%(reason)s") % {"reason": reminder.last_error},
                              messages.ERROR)
        elif reminder.state == Reminder.State.FAILED:
            self.message_user(request, _("向“%(party)s”发送催办提醒失败（%(error)s），系统稍后会自动重试。")
                              % {"party": party, "error": reminder.last_error}, messages.ERROR)
        elif reminder.state == Reminder.State.SKIPPED:
            self.message_user(request, _("催办提醒未发送：%(reason)s") % {"reason": reminder.last_error},
                              messages.WARNING)
        else:
            self.message_user(request, _("催办提醒已排队，将发送给“%(party)s”的用户：%(to)s。")
                              % {"party": party, "to": self._recipient_names(obligation)}, messages.INFO)

    @staticmethod
    def _recipient_names(obligation):
        users = services.reminder_recipients(obligation=obligation)
        return join_list(u.get_full_name() or u.username for u in users) or _("（无）")

    def get_urls(self):
        return [
            path("remind/", self.admin_site.admin_view(self.remind_view), name="notifications_reminder_remind"),
        ] + super().get_urls()

    def remind_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        initial = {"obligation": request.GET.get("obligation")}
        form = ManualReminderForm(request.POST or None, initial=initial)
        obligation = None
        if request.method == "POST" and form.is_valid():
            obligation = services.obligation_for_reminder(user=request.user, pk=form.cleaned_data["obligation"])
        elif str(initial["obligation"] or "").isdigit():
            obligation = services.obligation_for_reminder(user=request.user, pk=int(initial["obligation"]))
        if obligation is not None and request.method == "POST":
            try:
                reminder, created = services.remind_now(
                    obligation=obligation, requested_by=request.user, force=form.cleaned_data["force"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if created:
                    self._report_manual(request, reminder, obligation)
                else:
                    self.message_user(
                        request,
                        _("今天已向“%(party)s”催办过该任务（%(state)s），未重复发送；如需再发，请勾选“再发一次”。")
                        % {"party": obligation.party, "state": reminder.get_state_display()},
                        messages.WARNING,
                    )
                return redirect("admin:notifications_reminder_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("人工催办"),
            "form": form,
            "obligation": obligation,
            # Who would receive it, or who must be added first: said before the officer clicks.
            "recipients": services.reminder_recipients(obligation=obligation) if obligation else [],
            "no_recipient_reason": services.no_recipient_reason(obligation) if obligation else "",
        }
        return TemplateResponse(request, "admin/notifications/reminder/remind.html", context)


@admin.register(Digest)
class DigestAdmin(XlsxAdminMixin, DeliveryAdminMixin, ScopedAdmin):
    list_display = ("week", "date", "user", "agency", "state", "overdue_count", "attempts", "sent_at",
                    "recipients_short", "error_short")
    list_filter = ("state", "week", "agency")
    search_fields = ("user__username", "user__first_name", "user__last_name", "recipients")
    list_select_related = ("user", "agency")


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(XlsxAdminMixin, ScopedAdmin):
    city_only_write = True
    list_display = ("__str__", "enabled", "days_before", "on_due_day", "overdue_every", "in_workdays", "updated_at")
    list_filter = ("enabled", "in_workdays")
    raw_id_fields = ("campaign", "task")
    fields = ("campaign", "task", "enabled", "days_before", "on_due_day", "overdue_every", "in_workdays")

    list_select_related = ("campaign", "task")  # scoped by ReminderPolicy.scope_links: the issuer's subtree
