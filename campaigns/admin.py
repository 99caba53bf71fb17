"""Bureau side of the campaign engine in the admin.

* Campaign: actions inline, links to its tasks, obligations and progress page; admin
  actions publish, close and "复制到新年度" (each one service call).
* Task: edited freely while the campaign is a draft; the deadline is changed only on its
  own page through ``services.task_move_deadline`` (which moves the pending obligations).
* Obligation: the scoped changelist with filters (campaign, action, task, state, overdue,
  district, street, firm, firm grade), bulk accept / return with a reason, a read-only
  change page with the evidence, the history and the review form, the review queue page
  and the Excel export (a long job above ``exports.OBLIGATION_EXPORT_SYNC_LIMIT`` rows).
* Training, Activity: lists with Excel export; ObligationEvent: read-only log.

Everything is scoped through ScopedAdmin (estates/scoping.py); an obligation outside the
user's district answers 404 on every page, the review page included.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.admin import ReadOnlyAdminMixin
from core.pagination import IdsFirstPaginator
from core.text import join_messages, labelled, with_note
from core.xlsx_admin import XlsxAdminMixin
from estates import scoping
from estates.admin_filters import DistrictFilter, StreetFilter
from estates.models import PropertyFirm
from estates.scoped_admin import ScopedAdmin

from . import admin_views, exports, selectors, services
from .forms import CopyYearForm, ReturnForm, ReviewForm, TaskAdminForm, TrainingAdminForm
from .models import (
    Action,
    Activity,
    Campaign,
    Evidence,
    Obligation,
    ObligationEvent,
    RecordPhoto,
    Task,
    Training,
)

OBLIGATION_LINKS = {"estate": "estate", "firm": "firm", "agency": "agency"}


def _issued_by_me(user, campaign):
    """Whether the campaign was issued inside the user's agency subtree (only then may they change it)."""
    return scoping.is_issued_by(user, campaign.issuing_agency)


def _own_campaigns(user, queryset):
    return queryset.filter(scoping.issued_by_q(user))


# --- list filters ------------------------------------------------------------------------------

class CampaignFilter(admin.SimpleListFilter):
    title = gettext_lazy("创建活动")
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        return list(selectors.campaign_list(user=request.user).values_list("pk", "name"))

    def queryset(self, request, queryset):
        return selectors.narrow_obligations(queryset, campaign=self.value()) if self.value() else queryset


class TaskCampaignFilter(CampaignFilter):
    """Campaign filter of the task list (only campaigns the user may see are offered)."""

    def queryset(self, request, queryset):
        return queryset.filter(action__campaign_id=self.value()) if self.value() else queryset


class ActionCampaignFilter(CampaignFilter):
    def queryset(self, request, queryset):
        return queryset.filter(campaign_id=self.value()) if self.value() else queryset


class OrganiserAgencyFilter(admin.SimpleListFilter):
    """Organising agencies the user may see (never the whole registry)."""

    title = gettext_lazy("主办机构")
    parameter_name = "organiser"

    def lookups(self, request, model_admin):
        from estates import scoping
        from estates.models import Agency

        qs = scoping.restrict(Agency.objects.exclude(level=Agency.Level.COMMUNITY), request.user,
                              **scoping.AGENCY_LINKS)
        return [(a.pk, a.display_name) for a in qs.only("pk", "name", "short_name")]

    def queryset(self, request, queryset):
        return queryset.filter(organiser_agency_id=self.value()) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    title = gettext_lazy("专项行动")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        campaigns = selectors.campaign_list(user=request.user)
        campaign = request.GET.get("campaign")
        qs = Action.objects.filter(campaign__in=campaigns.filter(pk=campaign) if campaign else campaigns)
        return [(a.pk, f"{a.order}. {a.name}") for a in qs.order_by("campaign", "order").only("pk", "order", "name")]

    def queryset(self, request, queryset):
        return selectors.narrow_obligations(queryset, action=self.value()) if self.value() else queryset


class TaskFilter(admin.SimpleListFilter):
    """Offered once a campaign is chosen (a whole year's tasks would be a long list)."""

    title = gettext_lazy("工作任务")
    parameter_name = "task"

    def lookups(self, request, model_admin):
        campaign, action = request.GET.get("campaign"), request.GET.get("action")
        if not (action or campaign or self.value()):
            return []  # before building the campaigns' scoped query: the list's usual case
        qs = Task.objects.filter(action__campaign__in=selectors.campaign_list(user=request.user))
        if action:
            qs = qs.filter(action_id=action)
        elif campaign:
            qs = qs.filter(action__campaign_id=campaign)
        else:
            qs = qs.filter(pk=self.value())
        return [(t.pk, t.title) for t in qs.order_by("action__order", "order").only("pk", "title")]

    def queryset(self, request, queryset):
        return selectors.narrow_obligations(queryset, task=self.value()) if self.value() else queryset


class FirmFilter(admin.SimpleListFilter):
    """The drill-down target of the progress page's firm table; shows only the chosen firm."""

    title = gettext_lazy("物业服务企业")
    parameter_name = "firm"

    def lookups(self, request, model_admin):
        if not self.value() or not str(self.value()).isdigit():
            return []
        from estates import scoping

        visible = scoping.restrict(PropertyFirm.objects.filter(pk=self.value()), request.user, **scoping.FIRM_LINKS)
        return list(visible.values_list("pk", "name"))

    def queryset(self, request, queryset):
        if self.value() and str(self.value()).isdigit():
            return selectors.narrow_obligations(queryset, firm=int(self.value()))
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("是否逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("已逾期")), ("7", _("7 天内到期")), ("late", _("逾期提交"))]

    #: the filter's values → obligation_search's ``filter``
    FILTERS = {"1": "overdue", "7": "due7", "late": "late"}

    def queryset(self, request, queryset):
        if self.value() in self.FILTERS:
            return selectors.narrow_obligations(queryset, filter=self.FILTERS[self.value()])
        return queryset


class FirmGradeFilter(admin.SimpleListFilter):
    title = gettext_lazy("企业资质等级")
    parameter_name = "grade"

    def lookups(self, request, model_admin):
        return PropertyFirm.Grade.choices

    def queryset(self, request, queryset):
        if self.value() in ("1", "2", "3"):
            return selectors.narrow_obligations(queryset, grade=int(self.value()))
        return queryset


class ObligationDistrictFilter(DistrictFilter):
    def queryset(self, request, queryset):
        return selectors.narrow_obligations(queryset, district=self.value()) if self.value() else queryset


class ObligationStreetFilter(StreetFilter):
    def queryset(self, request, queryset):
        return selectors.narrow_obligations(queryset, street=self.value()) if self.value() else queryset


_STATE_MARKS = {}


def _state_marks():
    """The obligation states' labels and the overdue and late marks of the changelist's state cell, in the active
    language: looked up once per language and process, not three times a row (the catalogues do not change)."""
    language = get_language()
    marks = _STATE_MARKS.get(language)
    if marks is None:
        marks = _STATE_MARKS[language] = (
            {value: str(label) for value, label in Obligation.State.choices},
            format_html(' <span style="color:#c00;font-weight:bold">{}</span>', _("逾期")),
            format_html(' <span class="obligation-late">{}</span>', _("逾期提交")),
        )
    return marks


def obligation_search_args(params):
    """The obligation changelist's query string as selectors.obligation_search arguments (ids and names,
    JSON-serialisable: a long export job carries them). Values the list filters ignore are left out, so the
    search gives the rows the list shows."""
    def number(name):
        value = str(params.get(name) or "")
        return int(value) if value.isdigit() else None

    args = {name: number(name) for name in ("campaign", "action", "task", "district", "street", "firm")}
    args["state"] = params.get("state__exact") or None
    args["filter"] = OverdueFilter.FILTERS.get(params.get("overdue"))
    args["grade"] = int(params["grade"]) if params.get("grade") in ("1", "2", "3") else None
    args["q"] = (params.get("q") or "").strip() or None
    return {name: value for name, value in args.items() if value is not None}


# --- campaigns ---------------------------------------------------------------------------------

class BureauInline:
    """Inlines answer to the parent admin's bureau rule (users have no Django model permissions)."""

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.is_active and (user.is_superuser or bool(user.agency_id))


class ActionInline(BureauInline, admin.TabularInline):
    model = Action
    extra = 0
    fields = ("order", "code", "name", "description", "tasks_link")
    readonly_fields = ("tasks_link",)

    can_add_tasks = False

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances are made per request: remember whether this user may add tasks here.
        self.can_add_tasks = obj is not None and obj.status != Campaign.Status.CLOSED and _issued_by_me(
            request.user, obj)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=gettext_lazy("工作任务"))
    def tasks_link(self, obj):
        if not obj.pk:
            return ""
        url = reverse("admin:campaigns_task_changelist") + "?" + urlencode({"action__id__exact": obj.pk})
        link = format_html('<a href="{}">{}</a>', url, _("查看任务"))
        if not self.can_add_tasks:
            return link
        # Back to this campaign's task list after saving (the admin keeps _changelist_filters).
        add = reverse("admin:campaigns_task_add") + "?" + urlencode({
            "action": obj.pk, "_changelist_filters": urlencode({"campaign": obj.campaign_id})})
        return format_html('{} · <a href="{}" class="addlink">{}</a>', link, add, _("添加任务"))

    def has_change_permission(self, request, obj=None):
        return obj is None or (obj.status == Campaign.Status.DRAFT and _issued_by_me(request.user, obj))

    has_add_permission = has_change_permission

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == Campaign.Status.DRAFT and _issued_by_me(request.user, obj)


@admin.register(Campaign)
class CampaignAdmin(XlsxAdminMixin, ScopedAdmin):
    change_list_template = "admin/xlsx/change_list.html"
    xlsx_base_change_list_template = "admin/campaigns/campaign/change_list.html"
    xlsx_exclude = ("links",)
    list_display = ("name", "year", "issuing_agency", "status", "start_date", "end_date", "links")
    list_filter = ("status", "year")
    list_select_related = ("issuing_agency",)
    search_fields = ("name", "document_number")
    autocomplete_fields = ("issuing_agency",)
    readonly_fields = ("status", "published_at", "published_by", "closed_at", "template_key", "copied_from")
    fields = ("name", "year", "issuing_agency", "document_number", "issued_on", "start_date", "end_date",
              "description", "status", "published_at", "published_by", "closed_at", "template_key", "copied_from")
    inlines = [ActionInline]
    actions = ["publish", "close", "copy_to_year"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or _issued_by_me(request.user, obj))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", wrap(self.progress_view), name="campaigns_campaign_progress"),
            path("<int:pk>/progress/export/<str:by>/", wrap(self.progress_export_view),
                 name="campaigns_campaign_progress_export"),
            path("roster/", wrap(self.roster_export_view), name="campaigns_campaign_roster"),
        ] + super().get_urls()

    def progress_view(self, request, pk):
        return admin_views.progress(self, request, pk)

    def progress_export_view(self, request, pk, by):
        return admin_views.progress_export(self, request, pk, by)

    def roster_export_view(self, request):
        return admin_views.roster_export(self, request)

    @admin.display(description=gettext_lazy("查看"))
    def links(self, obj):
        progress = reverse("admin:campaigns_campaign_progress", args=[obj.pk])
        tasks = reverse("admin:campaigns_task_changelist") + "?" + urlencode({"campaign": obj.pk})
        obligations = reverse("admin:campaigns_obligation_changelist") + "?" + urlencode({"campaign": obj.pk})
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>', progress, _("进度"),
                           tasks, _("任务"), obligations, _("任务责任"))

    def _own(self, request, queryset):
        own = _own_campaigns(request.user, queryset)
        skipped = queryset.count() - own.count()
        if skipped:
            self.message_user(request, _("%(n)s 个活动不是本单位发布的，已跳过。") % {"n": skipped}, messages.WARNING)
        return own

    def _confirm(self, request, campaigns, *, action, title, template, previews):
        """The intermediate page of publish and close (like Django's delete confirmation): what
        will happen to each campaign, then 确认 (posts the action again with post=yes) or 取消."""
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title, "action": action,
            "previews": previews, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:campaigns_campaign_changelist"),
        })

    def _in_status(self, request, campaigns, status, message):
        ok = []
        for campaign in campaigns:
            if campaign.status == status:
                ok.append(campaign)
            else:
                self.message_user(request, labelled(campaign, message), messages.ERROR)
        return ok

    @admin.action(description=gettext_lazy("发布所选活动（生成任务责任）"))
    def publish(self, request, queryset):
        own = list(self._own(request, queryset))
        if request.POST.get("post") != "yes":
            drafts = self._in_status(request, own, Campaign.Status.DRAFT, _("只有草稿状态的活动可以发布。"))
            if not drafts:
                return None
            previews = [{"campaign": c, **selectors.campaign_publish_preview(campaign=c)} for c in drafts]
            return self._confirm(request, drafts, action="publish", title=_("确认发布创建活动"),
                                 template="admin/campaigns/campaign/confirm_publish.html", previews=previews)
        for campaign in own:
            try:
                created = services.campaign_publish(campaign=campaign, user=request.user)
            except ValidationError as exc:
                self.message_user(request, labelled(campaign, join_messages(exc.messages)), messages.ERROR)
            else:
                self.message_user(request, _("%(c)s 已发布，生成任务责任 %(n)s 条。") % {"c": campaign, "n": created})

    @admin.action(description=gettext_lazy("结束所选活动"))
    def close(self, request, queryset):
        own = list(self._own(request, queryset))
        if request.POST.get("post") != "yes":
            running = self._in_status(request, own, Campaign.Status.PUBLISHED, _("只有已发布的活动可以结束。"))
            if not running:
                return None
            previews = [{"campaign": c, **selectors.campaign_close_preview(campaign=c)} for c in running]
            return self._confirm(request, running, action="close", title=_("确认结束创建活动"),
                                 template="admin/campaigns/campaign/confirm_close.html", previews=previews)
        for campaign in own:
            try:
                services.campaign_close(campaign=campaign, user=request.user)
            except ValidationError as exc:
                self.message_user(request, labelled(campaign, join_messages(exc.messages)), messages.ERROR)
            else:
                self.message_user(request, _("%(c)s 已结束。") % {"c": campaign})

    @admin.action(description=gettext_lazy("复制到新年度"))
    def copy_to_year(self, request, queryset):
        own = self._own(request, queryset)
        if own.count() != 1:
            self.message_user(request, _("请只选择一个本单位发布的活动进行复制。"), messages.WARNING)
            return None
        campaign = own.get()
        form = CopyYearForm(request.POST if "new_year" in request.POST else None,
                            initial={"new_year": campaign.year + 1})
        if form.is_bound and form.is_valid():
            try:
                copy = services.campaign_copy(campaign=campaign, new_year=form.cleaned_data["new_year"],
                                              document_number=form.cleaned_data["document_number"],
                                              user=request.user)
            except ValidationError as exc:
                form.add_error("new_year", join_messages(exc.messages))
            else:
                self.message_user(request, _("已复制为草稿“%(name)s”，所有日期顺延 %(n)s 年。") % {
                    "name": copy.name, "n": copy.year - campaign.year})
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))
        return TemplateResponse(request, "admin/campaigns/campaign/copy_year.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": _("复制到新年度"),
            "campaign": campaign, "form": form, "action": "copy_to_year",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })


# --- tasks -------------------------------------------------------------------------------------

@admin.register(Action)
class ActionAdmin(XlsxAdminMixin, ScopedAdmin):
    list_display = ("name", "order", "campaign")
    list_filter = (ActionCampaignFilter,)
    list_select_related = ("campaign",)
    search_fields = ("name", "code", "campaign__name")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or (obj.campaign.status == Campaign.Status.DRAFT and _issued_by_me(request.user, obj.campaign)))


@admin.register(Task)
class TaskAdmin(XlsxAdminMixin, ScopedAdmin):
    xlsx_exclude = ("deadline_link",)
    list_display = ("title", "action", "campaign_name", "party_kind", "recurrence", "min_count", "window_start",
                    "deadline", "deadline_link")
    list_filter = (TaskCampaignFilter, "party_kind", "recurrence", "record_kind", "is_voluntary")
    list_select_related = ("action", "action__campaign")
    search_fields = ("title", "code", "requirement")
    form = TaskAdminForm
    filter_horizontal = ("districts",)
    fieldsets = (
        (None, {"fields": ("action", "order", "code", "title", "requirement")}),
        (gettext_lazy("时间"), {"fields": ("window_start", "deadline", "recurrence", "min_count")}),
        (gettext_lazy("责任主体和适用范围"), {"fields": ("party_kind", "firm_grades", "estate_categories",
                                                  "old_estates_only", "districts", "is_voluntary")}),
        (gettext_lazy("牵头和参与单位"), {"fields": ("lead_unit", "co_lead_unit", "participating_units")}),
        (gettext_lazy("佐证材料"), {"fields": ("evidence_kinds", "record_kind")}),
        (gettext_lazy("依据"), {"fields": ("source",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        # The deadline of an existing task moves only through task_move_deadline (its own page).
        return ("deadline",) if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or (obj.action.campaign.status == Campaign.Status.DRAFT
                               and _issued_by_me(request.user, obj.action.campaign))

    def has_delete_permission(self, request, obj=None):
        # Deleting goes through services.task_delete, which refuses a task with work in it.
        if not self._is_bureau(request):
            return False
        return obj is None or (obj.action.campaign.status != Campaign.Status.CLOSED
                               and _issued_by_me(request.user, obj.action.campaign))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one task at a time, through the service
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "action" and field is not None:
            # Tasks are added to drafts and to running campaigns (their obligations follow at once).
            open_campaigns = Campaign.objects.filter(status__in=[Campaign.Status.DRAFT, Campaign.Status.PUBLISHED])
            field.queryset = field.queryset.filter(campaign__in=_own_campaigns(request.user, open_campaigns)) \
                .select_related("campaign").order_by("-campaign__year", "campaign_id", "order")
            field.label_from_instance = lambda a: f"{a.campaign.name} · {a.order}. {a.name}"
        return field

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        action = initial.get("action")
        if action and str(action).isdigit() and "order" not in initial:
            # The next free number of that action, so that a task added from the campaign page needs no lookup.
            last = Task.objects.filter(action_id=action).order_by("-order").values_list("order", flat=True).first()
            initial["order"] = (last or 0) + 1
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        task, created = services.task_add(
            action=obj.action, user=request.user, districts=form.cleaned_data.get("districts") or [],
            **{name: getattr(obj, name) for name in services.TASK_INPUT_FIELDS})
        obj.pk = task.pk
        obj._state.adding, obj._state.db = False, task._state.db
        if obj.action.campaign.status == Campaign.Status.PUBLISHED:
            self.message_user(request, _("活动已发布：已为“%(task)s”生成任务责任 %(n)s 条。") % {
                "task": task.title, "n": created}, messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        if change:
            return super().save_related(request, form, formsets, change)
        for formset in formsets:  # the districts were set by services.task_add
            self.save_formset(request, form, formset, change=change)

    def get_deleted_objects(self, objs, request):
        """What the delete page lists: the task and its obligations, or why it cannot go."""
        to_delete, model_count, protected = [], {}, []
        for task in objs:
            summary = selectors.task_obligation_summary(task=task)
            if summary["with_work"]:
                protected.append(_("%(n)s 条任务责任已有提交、审核或计入的记录（这些工作任务不能删除）") % {
                    "n": summary["with_work"]})
                continue
            to_delete.append(str(task))
            if summary["total"]:
                to_delete.append([_("%(n)s 条任务责任（尚无任何提交）") % {"n": summary["total"]}])
            model_count[Task._meta.verbose_name_plural] = model_count.get(Task._meta.verbose_name_plural, 0) + 1
            model_count[Obligation._meta.verbose_name_plural] = (
                model_count.get(Obligation._meta.verbose_name_plural, 0) + summary["total"])
        return to_delete, model_count, set(), protected

    def delete_model(self, request, obj):
        services.task_delete(task=obj, user=request.user)

    @admin.display(description=gettext_lazy("创建活动"), ordering="action__campaign__name")
    def campaign_name(self, obj):
        return obj.action.campaign.name

    @admin.display(description=gettext_lazy("调整期限"))
    def deadline_link(self, obj):
        if obj.action.campaign.status == Campaign.Status.CLOSED:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("admin:campaigns_task_move_deadline", args=[obj.pk]),
                           _("调整期限"))

    def get_urls(self):
        return [path("<int:pk>/move-deadline/", self.admin_site.admin_view(self.move_deadline_view),
                     name="campaigns_task_move_deadline")] + super().get_urls()

    def move_deadline_view(self, request, pk):
        return admin_views.move_deadline(self, request, pk)


# --- obligations -------------------------------------------------------------------------------

class EvidenceInline(ReadOnlyAdminMixin, BureauInline, admin.StackedInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = ("round", "created_at", "created_by", "text", "count", "file_links")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by").prefetch_related("files")

    @admin.display(description=gettext_lazy("文件"))
    def file_links(self, obj):
        files = list(obj.files.all())
        if not files:
            return "—"
        # Each link is escaped by format_html; the separator is ours.
        return mark_safe("<br>".join(
            format_html(with_note('<a href="{}" target="_blank" rel="noopener">{}</a>', "{}"),
                        reverse("admin:campaigns_obligation_file", args=[obj.obligation_id, f.pk]), f.original_name,
                        f.get_kind_display()) for f in files))  # noqa: S308


class EventInline(ReadOnlyAdminMixin, BureauInline, admin.TabularInline):
    model = ObligationEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_state", "to_state", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Obligation)
class ObligationAdmin(XlsxAdminMixin, ScopedAdmin):
    xlsx_exporter = staticmethod(exports.export_obligations)
    xlsx_name = gettext_lazy("任务责任")
    change_list_template = "admin/campaigns/obligation/change_list.html"
    change_form_template = "admin/campaigns/obligation/change_form.html"
    bureau_can_add = False
    # No "late" column: Django shows a boolean as a red ✖ for every on-time submission; the state cell marks late
    # work instead (a neutral "逾期提交"), as the portal's list does. With district and street in one column the
    # list fits a 1366 px screen beside both sidebars (static/css/admin-obligations.css).
    list_display = ("task", "party_display", "firm_display", "location_display", "due_display", "state_display",
                    "submitted_display")
    # Every filter and the search box narrow through selectors.narrow_obligations, so the list, its export and
    # the export's long job (obligation_search_args → selectors.obligation_search) give the same rows.
    list_filter = (CampaignFilter, ActionFilter, TaskFilter, "state", OverdueFilter, ObligationDistrictFilter,
                   ObligationStreetFilter, FirmFilter, FirmGradeFilter)
    # What the columns show, no more: the task (its title, whether it is voluntary: the overdue mark), the party
    # (estate, firm or agency), the estate's firm, district and street. selectors.LIST_RELATED (twelve tables, for
    # the exports and the portal) cost PostgreSQL more to plan than these need, and five model instances a row.
    list_select_related = CHANGELIST_RELATED = ("task", "estate", "estate__firm", "firm", "agency", "district",
                                                "street")
    #: The columns of those rows the list shows (and __str__, the checkbox's label): the task's requirement, the
    #: estate's address and the like stay in the database, and Python builds no JSON of the task's lists a row.
    list_only = ("due_date", "state", "late", "submitted_at", "task__title", "task__is_voluntary",
                 "estate__code", "estate__name", "estate__firm__name", "firm__name", "agency__name",
                 "agency__short_name", "district__name", "district__short_name", "street__name", "street__short_name")
    # The page's ids through the (due_date, id) indexes, then its related rows for those ids only.
    paginator = IdsFirstPaginator
    search_fields = selectors.OBLIGATION_SEARCH_FIELDS
    date_hierarchy = None
    actions = ["accept_selected", "return_selected"]
    readonly_fields = ("campaign", "task", "estate", "firm", "agency", "reviewer", "district", "street",
                       "period_start", "period_end", "due_date", "state", "late_display", "count_achieved",
                       "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "review_note", "requirement")
    fieldsets = (
        (None, {"fields": ("campaign", "task", "requirement", "estate", "firm", "agency")}),
        (gettext_lazy("属地与审核"), {"fields": ("district", "street", "reviewer")}),
        (gettext_lazy("期限与状态"), {"fields": ("period_start", "period_end", "due_date", "state", "late_display",
                                            "count_achieved")}),
        (gettext_lazy("提交与审核"), {"fields": ("submitted_at", "submitted_by", "reviewed_at", "reviewed_by",
                                            "review_note")}),
    )
    inlines = [EvidenceInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False  # obligations change only through the services (review page, actions)

    def list_cache_version(self, request):
        # The count and each page's rows kept under the campaigns' figures tokens (ScopedChangeList).
        return admin_views.obligations_version()

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_obligations(queryset, search_term), False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review-queue/", wrap(self.review_queue_view), name="campaigns_obligation_review_queue"),
            path("<int:pk>/review/", wrap(self.review_view), name="campaigns_obligation_review"),
            path("<int:pk>/files/<int:file_id>/", wrap(self.file_view), name="campaigns_obligation_file"),
        ] + super().get_urls()

    def file_view(self, request, pk, file_id):
        from .views import evidence_file_response

        obligation = self.get_object(request, str(pk))
        if obligation is None:
            raise Http404
        return evidence_file_response(obligation, file_id)

    def review_queue_view(self, request):
        return admin_views.review_queue(self, request)

    def review_view(self, request, pk):
        obligation = self.get_object(request, str(pk))
        if obligation is None:
            raise Http404
        return admin_views.review(self, request, obligation)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_in_scope(request, object_id)
        obligation = self.get_object(request, object_id)
        extra = {"review_form": None, **(extra_context or {})}
        if obligation is not None and selectors.can_review(user=request.user, obligation=obligation):
            extra["review_form"] = ReviewForm()
            extra["review_url"] = reverse("admin:campaigns_obligation_review", args=[obligation.pk])
        return super().change_view(request, object_id, form_url, extra)

    @admin.display(description=gettext_lazy("工作要求"))
    def requirement(self, obj):
        return obj.task.requirement

    @admin.display(description=gettext_lazy("责任主体"))
    def party_display(self, obj):
        if obj.estate_id:
            return f"{obj.estate.code} {obj.estate.name}"
        return str(obj.party)

    @admin.display(description=gettext_lazy("物业服务企业"))
    def firm_display(self, obj):
        firm = obj.firm or (obj.estate.firm if obj.estate_id else None)
        return firm.name if firm else "—"

    @admin.display(description=gettext_lazy("所属区/街道"), ordering="district__name")
    def location_display(self, obj):
        # District and street in one column (the street under its district): one column less on a 1366 px screen.
        if obj.street_id:
            return format_html('{}<br><span class="obligation-street">{}</span>', obj.district or "", obj.street)
        return str(obj.district) if obj.district_id else "—"

    # Dates as the portal's list shows them (2011-07-31): "2011年7月31日" took a quarter more room in every row.
    @admin.display(description=gettext_lazy("完成期限"), ordering="due_date")
    def due_display(self, obj):
        return obj.due_date.strftime("%Y-%m-%d")

    @admin.display(description=gettext_lazy("提交时间"), ordering="submitted_at")
    def submitted_display(self, obj):
        if not obj.submitted_at:
            return "—"
        at = timezone.localtime(obj.submitted_at)  # the date and the time may go on two lines, each whole
        return format_html('<span class="nowrap">{}</span> <span class="nowrap">{}</span>', at.strftime("%Y-%m-%d"),
                           at.strftime("%H:%M"))

    @admin.display(description=gettext_lazy("状态"), ordering="state")
    def state_display(self, obj):
        labels, overdue, late = _state_marks()
        label = labels.get(obj.state, obj.state)
        flag = getattr(obj, "is_overdue", None)
        if flag is True or (callable(flag) and flag()):
            label = format_html("{}{}", label, overdue)
        if obj.late:
            label = format_html("{}{}", label, late)
        return label

    @admin.display(description=gettext_lazy("逾期提交"))
    def late_display(self, obj):
        # Text, not Django's boolean icons: a red ✖ beside on-time work reads as a fault.
        return _("是") if obj.late else _("否")

    @admin.action(description=gettext_lazy("审核通过所选任务责任"))
    def accept_selected(self, request, queryset):
        count, refused = services.obligation_accept_many(obligations=list(queryset.values_list("pk", flat=True)),
                                                         user=request.user)
        admin_views.report_bulk(request, count, refused, done=_("已审核通过 %(n)s 条。"))

    @admin.action(description=gettext_lazy("退回所选任务责任（填写原因）"))
    def return_selected(self, request, queryset):
        form = ReturnForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            count, refused = services.obligation_return_many(
                obligations=list(queryset.values_list("pk", flat=True)), user=request.user,
                reason=form.cleaned_data["reason"])
            admin_views.report_bulk(request, count, refused, done=_("已退回 %(n)s 条。"))
            return None
        return TemplateResponse(request, "admin/campaigns/obligation/return_reason.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": _("退回任务责任"),
            "form": form, "obligations": queryset.select_related("task", "estate", "firm", "agency")[:200],
            "count": queryset.count(), "action": "return_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    def xlsx_export_view(self, request):
        return admin_views.obligation_export(self, request)


@admin.register(ObligationEvent)
class ObligationEventAdmin(XlsxAdminMixin, ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ("at", "kind", "obligation", "actor", "from_state", "to_state", "note")
    list_filter = ("kind",)
    list_select_related = ("obligation__task", "obligation__estate", "obligation__firm", "obligation__agency",
                           "actor")
    search_fields = ("note", "obligation__task__title", "obligation__estate__name", "actor__username")
    date_hierarchy = "at"


# --- records -----------------------------------------------------------------------------------

class PhotoInline(ReadOnlyAdminMixin, BureauInline, admin.TabularInline):
    model = RecordPhoto
    extra = 0
    fields = ("photo_link", "uploaded_at")
    readonly_fields = ("photo_link", "uploaded_at")
    can_delete = False

    @admin.display(description=gettext_lazy("照片"))
    def photo_link(self, obj):
        # Through the scoped view, never MEDIA_URL (media is not served publicly). A row a refused POST
        # sent without a saved photo has nothing to link to.
        if obj.pk is None:
            return ""
        url = reverse("campaigns:record_photo", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">{}</a>', url, obj.original_name or _("查看照片"))


@admin.register(Training)
class TrainingAdmin(XlsxAdminMixin, ScopedAdmin):
    """Trainings counted towards obligations; bureau staff file their own agency's through
    ``services.training_record`` (so the matching obligations are recounted)."""

    xlsx_exporter = staticmethod(exports.export_trainings)
    xlsx_name = gettext_lazy("培训记录")
    list_display = ("date", "topic", "organiser", "audience", "attendee_count", "place")
    list_filter = (OrganiserAgencyFilter, "organiser_firm__grade")
    list_select_related = ("organiser_agency", "organiser_firm")
    search_fields = ("topic", "audience", "organiser_firm__name", "organiser_agency__name")
    date_hierarchy = "date"
    form = TrainingAdminForm
    fields = ("date", "topic", "audience", "attendee_count", "place", "notes")
    inlines = [PhotoInline]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and bool(request.user.agency_id)

    def has_delete_permission(self, request, obj=None):
        # Withdrawing is for the organiser (and superusers), and only while no obligation it counts towards
        # is accepted (services.training_withdraw); the list's bulk delete goes through the same service.
        user = request.user
        if obj is None:
            return user.is_active and (user.is_superuser or bool(user.agency_id and user.is_staff))
        if not (user.is_superuser or (user.agency_id and obj.organiser_agency_id == user.agency_id)):
            return False
        return obj.pk not in selectors.locked_records([obj])

    def delete_model(self, request, obj):
        services.training_withdraw(user=request.user, training=obj)

    def delete_queryset(self, request, queryset):
        # One service call per training, so that every obligation it counted towards is recounted.
        refused = []
        for training in queryset:
            try:
                services.training_withdraw(user=request.user, training=training)
            except ValidationError as exc:
                refused.append(labelled(training, join_messages(exc.messages)))
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        training = services.training_record(
            user=request.user, organiser_agency=request.user.agency, date=data["date"], topic=data["topic"],
            audience=data.get("audience", ""), attendee_count=data["attendee_count"],
            place=data.get("place", ""), notes=data.get("notes", ""))
        obj.pk, obj.organiser_agency = training.pk, training.organiser_agency
        obj._state.adding = False


class ActivityDistrictFilter(DistrictFilter):
    """Activities have no district of their own: the firm's or the estate's."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Q(firm__district_id=self.value()) | Q(estate__district_id=self.value()))
        return queryset


@admin.register(Activity)
class ActivityAdmin(XlsxAdminMixin, ReadOnlyAdminMixin, ScopedAdmin):
    xlsx_exporter = staticmethod(exports.export_activities)
    xlsx_name = gettext_lazy("活动记录")
    list_display = ("date", "kind", "title", "firm", "estate", "partners", "participant_count")
    # The "date" filter (today, past 7 days, this month, this year) reads no rows; a date hierarchy ran two scans
    # of the area's activities on every request (MIN/MAX and DISTINCT DATE_TRUNC: 77 ms of a district's 164 at
    # 50,000 estates, docs/PERFORMANCE.md).
    list_filter = ("kind", "date", "firm__grade", ActivityDistrictFilter)
    list_select_related = ("firm", "estate")
    search_fields = ("title", "partners", "firm__name", "estate__name")
    date_hierarchy = None
    inlines = [PhotoInline]

    def has_view_permission(self, request, obj=None):
        return self._is_bureau(request)

    def list_cache_version(self, request):
        """The count and the rendered rows kept (ScopedChangeList) under the records' and the registry's versions
        (selectors.records_list_version): every save or delete of an activity, and every change of the estates
        and firms the rows name, renews one of them."""
        return selectors.records_list_version()


# The reminder log, digests, policies and the manual reminder page (models of the notifications app).
from . import admin_reminders  # noqa: E402, F401
