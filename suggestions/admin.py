"""The suggestion box for bureau staff: every entry of their area (scoped by ScopedAdmin), moderation,
statistics, deadline policies and the poster print log.

* Entries: the list (filters, search, Excel export of the list's own rows) and each entry's page are
  read-only — the bureau never answers in the firm's place. Moderation: hide (a form asks the
  reason), unhide, redact (a form shows the original and takes the redacted copy); each is one
  service call that logs a private history event. Mobiles are masked everywhere here and in the
  exports (privacy.mask_mobile); the full number is for the handling firm only.
* Statistics: a page of the entry admin (``stats/``) with a date range and grouping, and its export.
* Deadline policies: per district (its officers) or per campaign (its issuer).

Extra ModelAdmins (the hotline API clients) are registered at the end of this file.
"""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Value, When
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import xlsx
from core.text import join_messages
from core.xlsx_admin import XlsxAdminMixin
from estates import scoping
from estates import selectors as estate_selectors
from estates.admin_filters import narrow_streets
from estates.models import Agency
from estates.scoped_admin import ReadOnlyAdminMixin, ScopedAdmin

from . import api_services as services_api
from . import deadlines, exports, privacy, services
from .bureau_forms import HideForm, RedactForm, StatsForm, date_range_form
from .models import ApiClient, DeadlinePolicy, PosterPrint, Suggestion, SuggestionEvent, SuggestionPhoto
from .selectors import inbox as inbox_selectors
from .selectors import stats as stats_selectors

# --- entries -------------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("是否逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("已逾期")), ("0", _("未逾期"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(deadlines.overdue_q())
        if self.value() == "0":
            return queryset.exclude(deadlines.overdue_q())
        return queryset


class _AreaFilter(admin.SimpleListFilter):
    """The districts (or streets) of the user's area, never the agencies of other levels; the streets as
    estates.admin_filters.narrow_streets offers them (the chosen district's; none for a city's staff until
    they choose one)."""

    level = None
    field = None

    def lookups(self, request, model_admin):
        agencies = estate_selectors.agency_list(user=request.user).filter(level=self.level)
        if self.level == Agency.Level.STREET:
            agencies = narrow_streets(agencies, request)
        agencies = agencies.select_related(None).order_by("path").only("pk", "name", "short_name")
        return [(a.pk, a.display_name) for a in agencies]

    def queryset(self, request, queryset):
        value = str(self.value() or "")  # the facet counts pass the lookups' own ids (ints)
        if value.isdigit() and len(value) < 12:  # a malformed or oversized id filters nothing
            return queryset.filter(**{f"{self.field}_id": value})
        return queryset


class DistrictFilter(_AreaFilter):
    title = gettext_lazy("区")
    parameter_name = "district"
    level = Agency.Level.DISTRICT
    field = "district"


class StreetFilter(_AreaFilter):
    title = gettext_lazy("街道")
    parameter_name = "street"
    level = Agency.Level.STREET
    field = "street"


class SubmittedRangeFilter(admin.FieldListFilter):
    """A range of submission dates with two ISO date inputs (``submitted_from``, ``submitted_to``, local
    days, both included); a malformed date is ignored, never an error page."""

    template = "admin/suggestions/date_range_filter.html"
    keys = ("submitted_from", "submitted_to")

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = gettext_lazy("提交日期")
        self.days = {}
        for key in self.keys:  # taken from params by the base class
            value = self.used_parameters.get(key)
            value = value[-1] if isinstance(value, list) else value
            if value:
                try:
                    self.days[key] = datetime.date.fromisoformat(str(value)[:10])
                except ValueError:
                    pass

    def expected_parameters(self):
        return list(self.keys)

    def has_output(self):
        return True

    def queryset(self, request, queryset):
        start, end = self.days.get("submitted_from"), self.days.get("submitted_to")
        low, high = stats_selectors.Range(start or datetime.date.min.replace(year=2000),
                                          end or datetime.date(2100, 1, 1)).bounds()
        if start:
            queryset = queryset.filter(submitted_at__gte=low)
        if end:
            queryset = queryset.filter(submitted_at__lt=high)
        return queryset

    def choices(self, changelist):
        keep = [(k, v) for k, v in changelist.params.items() if k not in (*self.keys, "p")]
        yield {
            "keys": self.keys, "keep": keep, "selected": bool(self.days),
            "from_value": self.days["submitted_from"].isoformat() if "submitted_from" in self.days else "",
            "to_value": self.days["submitted_to"].isoformat() if "submitted_to" in self.days else "",
            "clear": changelist.get_query_string(remove=[*self.keys, "p"]),
        }


class EventInline(admin.TabularInline):
    model = SuggestionEvent
    fields = ("created_at", "kind", "state", "text", "by_user", "by_resident", "public")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = gettext_lazy("办理记录（含不公开的审核记录）")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by_user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuggestionAdmin(XlsxAdminMixin, ScopedAdmin):
    list_display = ("number", "estate", "firm", "category", "state", "submitted_at", "acknowledge_due",
                    "answer_due", "overdue", "rating", "hidden", "masked_mobile", "source")
    list_select_related = ("estate", "firm")
    # What the columns show: the list never reads the residents' texts, names or the rest of the entry, nor the
    # estate's and the firm's other columns (the mobile is read to be masked).
    list_only = ("number", "estate__name", "firm__name", "category", "state", "submitted_at", "acknowledge_due",
                 "answer_due", "rating", "hidden", "mobile", "source")
    list_filter = ("state", "category", DistrictFilter, StreetFilter, OverdueFilter, "hidden", "source",
                   ("submitted_at", SubmittedRangeFilter))
    search_fields = ("number", "estate__name", "estate__code")
    date_hierarchy = None
    ordering = ("-submitted_at", "-pk")
    actions = ("hide_selected", "unhide_selected", "redact_selected")
    inlines = [EventInline]
    fieldsets = (
        (None, {"fields": ("number", "estate", "firm", "district", "street", "source", "external_id", "category",
                           "shown_text", "redacted_note", "photo_links")}),
        (gettext_lazy("居民"), {"fields": ("shown_name", "masked_mobile", "anonymous", "consent_contact")}),
        (gettext_lazy("办理"), {"fields": ("state", "submitted_at", "acknowledge_due", "answer_due", "overdue",
                                         "acknowledged_at", "acknowledged_on_time", "answered_at",
                                         "answered_on_time", "finished_at", "close_reason", "reopen_count",
                                         "rating", "rating_comment")}),
        (gettext_lazy("审核"), {"fields": ("hidden", "hidden_reason", "moderation_links", "erased_at")}),
    )
    xlsx_name = gettext_lazy("意见建议")
    xlsx_base_change_list_template = "admin/suggestions/suggestion/change_list.html"

    # The bureau reads and moderates; nobody adds, edits or deletes entries here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, spec in self.fieldsets for name in spec["fields"]]

    def list_cache_version(self, request):
        """The count and each page's rows kept (ScopedChangeList) under the entries' version and the registry's (the
        estate and firm names): renewed by every write of an entry or of the registry."""
        return f"{inbox_selectors.entries_version()}-{estate_selectors.registry_version()}"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            is_overdue=Case(When(deadlines.overdue_q(), then=Value(True)), default=Value(False),
                            output_field=BooleanField()))

    # --- columns ---------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("逾期"), boolean=True, ordering="is_overdue")
    def overdue(self, obj):
        return getattr(obj, "is_overdue", None) if hasattr(obj, "is_overdue") else deadlines.is_overdue(obj)

    @admin.display(description=gettext_lazy("手机号码"))
    def masked_mobile(self, obj):
        return privacy.mask_mobile(obj.mobile)

    @admin.display(description=gettext_lazy("称呼"))
    def shown_name(self, obj):
        return _("（匿名）") if obj.anonymous else obj.name

    @admin.display(description=gettext_lazy("内容"))
    def shown_text(self, obj):
        return obj.public_text

    @admin.display(description=gettext_lazy("隐去个人信息"))
    def redacted_note(self, obj):
        return _("已隐去个人信息（原文仅办理企业可见）") if obj.text_redacted else _("无")

    @admin.display(description=gettext_lazy("照片"))
    def photo_links(self, obj):
        rows = [(reverse("admin:suggestions_suggestion_photo", args=[obj.pk, p.pk, "image"]),
                 reverse("admin:suggestions_suggestion_photo", args=[obj.pk, p.pk, "thumbnail"]),
                 _("照片 %(n)s") % {"n": i})
                for i, p in enumerate(obj.photos.filter(event__isnull=True), start=1)]
        if not rows:
            return _("无")
        return format_html_join(" ", '<a href="{}"><img src="{}" alt="{}" height="80"></a>', rows)

    @admin.display(description=gettext_lazy("审核操作"))
    def moderation_links(self, obj):
        links = [(reverse("admin:suggestions_suggestion_redact", args=[obj.pk]), _("隐去个人信息"))]
        if not obj.hidden:
            links.insert(0, (reverse("admin:suggestions_suggestion_hide", args=[obj.pk]), _("屏蔽")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # --- URLs ------------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("stats/", wrap(self.stats_view), name="suggestions_suggestion_stats"),
            path("stats/export/", wrap(self.stats_export_view), name="suggestions_suggestion_stats_export"),
            path("<int:pk>/hide/", wrap(self.hide_view), name="suggestions_suggestion_hide"),
            path("<int:pk>/unhide/", wrap(self.unhide_view), name="suggestions_suggestion_unhide"),
            path("<int:pk>/redact/", wrap(self.redact_view), name="suggestions_suggestion_redact"),
            path("<int:pk>/photo/<int:photo_id>/<str:size>/", wrap(self.photo_view),
                 name="suggestions_suggestion_photo"),
        ] + super().get_urls()

    def _entry(self, request, pk):
        """The entry in the user's scope, or 404."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        entry = self.get_object(request, str(pk))
        if entry is None:
            raise Http404
        return entry

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def _change_url(self, entry):
        return reverse("admin:suggestions_suggestion_change", args=[entry.pk])

    # --- moderation ------------------------------------------------------------------------------

    def _hide_page(self, request, entries, form, ids):
        return TemplateResponse(request, "admin/suggestions/suggestion/hide.html", self._context(
            request, title=_("屏蔽意见"), entries=entries, form=form, ids=ids,
            changelist_url=reverse("admin:suggestions_suggestion_changelist"),
        ))

    def _hide(self, request, entries, reason):
        for entry in entries:
            services.suggestion_hide(suggestion=entry, user=request.user, reason=reason)
        messages.success(request, _("已屏蔽 %(n)s 条意见（记录保留）。") % {"n": len(entries)})

    def hide_view(self, request, pk):
        entry = self._entry(request, pk)
        form = HideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                self._hide(request, [entry], form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error("reason", join_messages(exc.messages))
            else:
                return HttpResponseRedirect(self._change_url(entry))
        return self._hide_page(request, [entry], form, [entry.pk])

    @admin.action(description=gettext_lazy("屏蔽所选意见（需填写原因）"))
    def hide_selected(self, request, queryset):
        entries = list(queryset.select_related("estate"))
        form = HideForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._hide(request, entries, form.cleaned_data["reason"])
            return None
        return self._hide_page(request, entries, form, [e.pk for e in entries])

    @admin.action(description=gettext_lazy("取消屏蔽所选意见"))
    def unhide_selected(self, request, queryset):
        entries = list(queryset.filter(hidden=True))
        for entry in entries:
            services.suggestion_unhide(suggestion=entry, user=request.user)
        messages.success(request, _("已取消屏蔽 %(n)s 条意见。") % {"n": len(entries)})

    def unhide_view(self, request, pk):
        entry = self._entry(request, pk)  # out of scope: 404 whatever the method
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        services.suggestion_unhide(suggestion=entry, user=request.user)
        messages.success(request, _("已取消屏蔽。"))
        return HttpResponseRedirect(self._change_url(entry))

    @admin.action(description=gettext_lazy("隐去所选意见中的个人信息"))
    def redact_selected(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            messages.warning(request, _("请只勾选一条意见进行隐去个人信息。"))
            return None
        return HttpResponseRedirect(reverse("admin:suggestions_suggestion_redact", args=[ids[0]]))

    def redact_view(self, request, pk):
        entry = self._entry(request, pk)
        form = RedactForm(request.POST or None, initial={"text": entry.text_redacted or entry.text})
        if request.method == "POST" and form.is_valid():
            try:
                services.suggestion_redact(suggestion=entry, user=request.user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                form.add_error("text", join_messages(exc.messages))
            else:
                messages.success(request, _("已保存隐去个人信息后的内容；原文保留，仅办理企业可见。"))
                return HttpResponseRedirect(self._change_url(entry))
        return TemplateResponse(request, "admin/suggestions/suggestion/redact.html", self._context(
            request, title=_("隐去个人信息"), entry=entry, form=form, change_url=self._change_url(entry)))

    # --- photos ----------------------------------------------------------------------------------

    def photo_view(self, request, pk, photo_id, size):
        if size not in ("image", "thumbnail"):
            raise Http404
        entry = self._entry(request, pk)
        from . import photos  # the public pages' photo module (re-encoded files, served with no-referrer)

        photo = get_object_or_404(SuggestionPhoto.objects.filter(suggestion=entry), pk=photo_id)
        return photos.serve(photo, thumbnail=size == "thumbnail")

    # --- statistics ------------------------------------------------------------------------------

    def _stats(self, request):
        form, date_range = date_range_form(request.GET, extra=StatsForm)
        by = form.cleaned_data.get("by", "estate") if form.is_valid() else "estate"
        rows = stats_selectors.suggestion_stats(user=request.user, by=by, date_range=date_range)
        return form, date_range, by, rows

    def stats_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, date_range, by, rows = self._stats(request)
        query = urlencode({"start": date_range.start.isoformat(), "end": date_range.end.isoformat(), "by": by})
        return TemplateResponse(request, "admin/suggestions/suggestion/stats.html", self._context(
            request, title=_("意见建议办理统计"), form=form, rows=rows, totals=stats_selectors.totals(rows),
            by=by, by_label=stats_selectors.GROUPING_LABELS[by], date_range=date_range,
            export_url=reverse("admin:suggestions_suggestion_stats_export") + "?" + query,
            changelist_url=reverse("admin:suggestions_suggestion_changelist"),
        ))

    def stats_export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, date_range, by, rows = self._stats(request)
        title = _("意见建议办理统计_按%(by)s_%(start)s_%(end)s") % {
            "by": stats_selectors.GROUPING_LABELS[by], "start": date_range.start.isoformat(),
            "end": date_range.end.isoformat()}
        return FileResponse(exports.export_stats(rows, by), as_attachment=True, filename=f"{title}.xlsx",
                            content_type=xlsx.XLSX_CONTENT_TYPE)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"stats_url": reverse("admin:suggestions_suggestion_stats"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)


admin.site.register(Suggestion, SuggestionAdmin)


# --- deadline policies ---------------------------------------------------------------------------


def _edits_policy(user, policy):
    """A district's policy: that district's officers (and the city above); a campaign's: its issuer."""
    if scoping.sees_everything(user):
        return True
    if not (user.is_active and user.agency_id):
        return False
    if policy.campaign_id:
        return scoping.is_issued_by(user, policy.campaign.issuing_agency)
    if policy.district_id:
        return user.agency.level in (Agency.Level.CITY, Agency.Level.DISTRICT) and \
            policy.district.path.startswith(user.agency.path)
    return False


class DeadlinePolicyAdmin(XlsxAdminMixin, ScopedAdmin):
    list_display = ("__str__", "district", "campaign", "acknowledge_workdays", "answer_workdays")
    list_select_related = ("district", "campaign")
    fields = ("district", "campaign", "acknowledge_workdays", "answer_workdays")
    xlsx_name = gettext_lazy("意见办理时限")

    def _may_write(self, request):
        user = request.user
        return self._is_bureau(request) and (user.is_superuser or user.agency.level != Agency.Level.STREET)

    def has_add_permission(self, request):
        return self._may_write(request)

    def has_change_permission(self, request, obj=None):
        if not self._may_write(request):
            return False
        return obj is None or _edits_policy(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) if obj is not None else self._may_write(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        user = request.user
        if field is not None and db_field.name == "campaign" and not scoping.sees_everything(user):
            field.queryset = field.queryset.filter(scoping.issued_by_q(user))
        if field is not None and db_field.name == "district" and not scoping.sees_everything(user):
            field.queryset = field.queryset.filter(level=Agency.Level.DISTRICT,
                                                   path__startswith=user.agency.path if user.agency_id else "-")
        return field


admin.site.register(DeadlinePolicy, DeadlinePolicyAdmin)


# --- poster prints -------------------------------------------------------------------------------


class PosterPrintAdmin(ReadOnlyAdminMixin, XlsxAdminMixin, ScopedAdmin):
    list_display = ("estate", "printed_on", "printed_by", "created_at")
    list_select_related = ("estate", "printed_by")
    list_filter = ("printed_on",)
    search_fields = ("estate__name", "estate__code")
    xlsx_name = gettext_lazy("意见箱海报打印记录")


admin.site.register(PosterPrint, PosterPrintAdmin)


# --- more ModelAdmins of the app below (one block each) ------------------------------------------


# --- hotline API clients (suggestions/api.py) ----------------------------------------------------


class ApiClientAdmin(ScopedAdmin):
    """The district's 12345 hotline platforms and their tokens. A district's officers (and the city above
    them) add a client, which issues its token, shown once on the page that follows and never again (only
    its SHA-256 is stored); "签发新令牌" replaces it (the old one stops at once); deactivating stops it."""

    list_display = ("name", "district", "token_shown", "is_active", "created_at", "last_used_at")
    list_select_related = ("district",)
    list_filter = ("is_active",)
    search_fields = ("name", "token_prefix")
    readonly_fields = ("token_shown", "created_at", "last_used_at")
    actions = ["deactivate"]

    def _may_write(self, request):
        user = request.user
        return self._is_bureau(request) and (user.is_superuser or user.agency.level in (
            Agency.Level.DISTRICT, Agency.Level.CITY))

    def has_add_permission(self, request):
        return self._may_write(request)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("district", "name")
        return ("district", "name", "is_active", "token_shown", "created_at", "last_used_at")

    def get_readonly_fields(self, request, obj=None):
        # A token's district is what it may reach: moving it would silently move its rights.
        return (*self.readonly_fields, "district") if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "district":
            field.queryset = field.queryset.filter(level=Agency.Level.DISTRICT)
        return field

    @admin.display(description=gettext_lazy("令牌"))
    def token_shown(self, obj):
        if obj is None or not obj.pk:
            return ""
        return format_html_join("", '{}… <a href="{}">{}</a>', [(
            obj.token_prefix, reverse("admin:suggestions_apiclient_token", args=[obj.pk]), _("签发新令牌"))])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        client, token = services_api.api_client_issue(district=obj.district, name=obj.name)  # the form checked both
        obj.pk, obj.token_hash, obj.token_prefix, obj.created_at = (
            client.pk, client.token_hash, client.token_prefix, client.created_at)
        obj._state.adding = False
        request._issued_api_token = token

    def response_add(self, request, obj, post_url_continue=None):
        return self._token_page(request, obj, getattr(request, "_issued_api_token", ""))

    def _token_page(self, request, obj, token):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": obj, "client": obj,
                   "token": token, "title": _("热线平台接口令牌"), "open311": reverse("suggestions:api_services")}
        response = TemplateResponse(request, "admin/suggestions/apiclient/token.html", context)
        response["Cache-Control"] = "no-store"  # the token is in this page only
        return response

    def get_urls(self):
        urls = [path("<path:object_id>/token/", self.admin_site.admin_view(self.token_view),
                     name="suggestions_apiclient_token")]
        return urls + super().get_urls()

    def token_view(self, request, object_id):
        """GET: what a new token does (and a button); POST: issue it and show it, once."""
        from django.contrib.admin.utils import unquote

        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        if request.method == "POST":
            token = services_api.api_client_rotate(client=obj)
            self.log_change(request, obj, _("签发新令牌"))
            return self._token_page(request, obj, token)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        return self._token_page(request, obj, "")

    @admin.action(description=gettext_lazy("停用所选接口"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = 0
        for client in queryset.filter(is_active=True):
            services_api.api_client_deactivate(client=client)
            self.log_change(request, client, _("停用"))
            count += 1
        self.message_user(request, _("已停用 %(count)s 个接口。") % {"count": count}, messages.SUCCESS)


admin.site.register(ApiClient, ApiClientAdmin)
