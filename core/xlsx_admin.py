"""Excel buttons for admin changelists: template download, import page, export.

Add the mixin before ``ScopedAdmin`` and say what to import and export::

    class EstateAdmin(XlsxAdminMixin, ScopedAdmin):
        xlsx_importer = EstateImporter                 # a core.xlsx.Importer subclass
        xlsx_exporter = staticmethod(export_estates)  # queryset -> open temporary .xlsx file
        xlsx_name = _("住宅小区")                      # file names: 住宅小区导入模板.xlsx, 住宅小区_20261123.xlsx

The changelist gets "下载导入模板", "导入 Excel" (users who may add and change) and
"导出 Excel" (users who may view) buttons. Export writes the changelist's own queryset:
filtered, searched, ordered and scoped exactly as the list the user is looking at.
The import page shows the counts, or the error table and a download of the marked copy
(a ``core.models.Job`` file, served by ``jobs:download``). An upload above
``settings.XLSX_IMPORT_JOB_ROWS`` rows is imported by a long job instead (core/xlsx/import_job.py):
the user goes to its progress page, which then shows the same counts or errors and marked copy.

Without an ``xlsx_exporter`` the export is generic: the columns of the admin's
``list_display`` (headers from ``label_for_field``, values from ``lookup_field``; booleans
是/否, choices as their labels, dates and datetimes as Excel dates in local time, related
objects as ``str()``), rows streamed from the changelist queryset (its
``list_select_related`` applies, so the query count does not grow with the rows).
Leave out link/button columns with ``xlsx_exclude``; a field named ``password`` is never
exported.

An admin with its own changelist template keeps it as the base of the Excel buttons::

    change_list_template = "admin/xlsx/change_list.html"
    xlsx_base_change_list_template = "admin/campaigns/campaign/change_list.html"
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import xlsx

MAX_ERRORS_ON_PAGE = 500
# Never written by the generic export, whatever list_display says.
NEVER_EXPORTED = frozenset({"password", "action_checkbox"})
GENERIC_CHUNK_SIZE = 2000


class XlsxUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel 文件"),
        help_text=gettext_lazy("请使用下载的导入模板填写，.xlsx 格式。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class XlsxAdminMixin:
    xlsx_importer = None
    xlsx_exporter = None
    xlsx_name = None
    xlsx_exclude = ()  # list_display entries the generic export leaves out (links, buttons)
    xlsx_base_change_list_template = "admin/change_list.html"
    change_list_template = "admin/xlsx/change_list.html"

    def _xlsx_url_name(self, action):
        return f"{self.opts.app_label}_{self.opts.model_name}_xlsx_{action}"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        # Before the model admin's own URLs: its "<path:object_id>/" would swallow these.
        return [
            path("xlsx/template/", wrap(self.xlsx_template_view), name=self._xlsx_url_name("template")),
            path("xlsx/import/", wrap(self.xlsx_import_view), name=self._xlsx_url_name("import")),
            path("xlsx/export/", wrap(self.xlsx_export_view), name=self._xlsx_url_name("export")),
        ] + super().get_urls()

    def has_xlsx_import_permission(self, request):
        return self.xlsx_importer is not None and self.has_add_permission(request) and self.has_change_permission(
            request
        )

    def has_xlsx_export_permission(self, request):
        # Without an xlsx_exporter the list_display columns are exported (see xlsx_generic_export_file).
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "xlsx_can_import": self.has_xlsx_import_permission(request),
            "xlsx_can_export": self.has_xlsx_export_permission(request),
            "xlsx_base_change_list_template": self.xlsx_base_change_list_template,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def _changelist_url(self):
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _name(self):
        return str(self.xlsx_name or self.opts.verbose_name_plural)

    def xlsx_template_view(self, request):
        if not self.has_xlsx_import_permission(request):
            raise PermissionDenied
        return xlsx.template_response(self.xlsx_importer.spec, filename=_("%(name)s导入模板") % {"name": self._name()})

    def xlsx_import_view(self, request):
        if not self.has_xlsx_import_permission(request):
            raise PermissionDenied
        result = None
        form = XlsxUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            from core.xlsx.import_job import import_upload

            try:
                # A large file becomes a long job: its page shows the progress, then this page's result.
                result = import_upload(self.xlsx_importer, user=request.user, upload=form.cleaned_data["file"],
                                       title=_("导入%(name)s") % {"name": self._name()})
            except xlsx.UploadRefused as exc:
                form.add_error("file", str(exc))
            else:
                if result.running_job is not None:
                    return HttpResponseRedirect(reverse("jobs:detail", args=[result.running_job.pk]))
                if result.ok:
                    messages.success(request, _("导入完成：新增 %(c)s 条，更新 %(u)s 条，未变化 %(n)s 条。") % {
                        "c": result.counts.created, "u": result.counts.updated, "n": result.counts.unchanged})
        marked_url = None
        if result is not None and result.job is not None:
            try:
                marked_url = reverse("jobs:download", args=[result.job.pk])
            except NoReverseMatch:  # the jobs URLs are not mounted in this deployment
                marked_url = None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("导入%(name)s") % {"name": self._name()},
            "form": form,
            "result": result,
            "errors": result.errors[:MAX_ERRORS_ON_PAGE] if result else [],
            "errors_hidden": max(0, len(result.errors) - MAX_ERRORS_ON_PAGE) if result else 0,
            "marked_url": marked_url,
            "template_url": reverse(f"{self.admin_site.name}:{self._xlsx_url_name('template')}"),
            "changelist_url": self._changelist_url(),
            "max_size_mb": settings.MAX_IMPORT_UPLOAD_SIZE // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/xlsx/import.html", context)

    def xlsx_export_view(self, request):
        if not self.has_xlsx_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(self._changelist_url())
        if self.xlsx_exporter is not None:
            fh = self.xlsx_exporter(changelist.queryset)
        else:
            fh = self.xlsx_generic_export_file(request, changelist.queryset)
        name = f"{self._name()}_{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(fh, as_attachment=True, filename=name, content_type=xlsx.XLSX_CONTENT_TYPE)

    # --- generic export -------------------------------------------------------------------------

    def get_xlsx_fields(self, request):
        """The ``list_display`` entries the generic export writes, in order."""
        fields = []
        for name in self.get_list_display(request):
            if name in NEVER_EXPORTED or name in self.xlsx_exclude:
                continue
            fields.append(name)
        return fields

    def _xlsx_model_field(self, name):
        if not isinstance(name, str):
            return None
        try:
            return self.opts.get_field(name)
        except FieldDoesNotExist:
            return None

    def get_xlsx_columns(self, request, fields):
        columns = []
        for name in fields:
            header = label_for_field(name, self.model, model_admin=self)
            field = self._xlsx_model_field(name)
            if isinstance(field, models.DateTimeField):
                width = 18
            elif isinstance(field, models.DateField):
                width = 12
            elif isinstance(field, (models.BooleanField, models.IntegerField, models.DecimalField)):
                width = None  # from the header
            else:  # text, related objects, computed columns
                max_length = getattr(field, "max_length", None) or 40
                width = max(xlsx._width(header), min(40, max_length))
            columns.append(xlsx.ExportColumn(header, width=width))
        return columns

    def xlsx_cell_value(self, name, obj):
        """One cell of the generic export (a value ``core.xlsx.write_xlsx`` writes)."""
        return self._xlsx_getter(name)(obj)

    def _xlsx_getter(self, name):
        """A function object -> cell value for one list_display entry, resolved once per export
        (``lookup_field`` per cell is what a 100,000-row export would spend its time on)."""
        field = self._xlsx_model_field(name)
        if field is None or field.many_to_many or field.one_to_many:
            return lambda obj: _xlsx_value(lookup_field(name, obj, self)[2])
        if field.is_relation:
            def related(obj):
                value = getattr(obj, field.name)
                return None if value is None else str(value)
            return related
        attname = field.attname
        if field.flatchoices:
            labels = {key: str(label) for key, label in field.flatchoices}

            def choice(obj):
                value = getattr(obj, attname)
                return None if value is None else labels.get(value, value)
            return choice
        return lambda obj: _xlsx_value(getattr(obj, attname))

    def xlsx_generic_rows(self, fields, queryset):
        getters = [self._xlsx_getter(name) for name in fields]
        for obj in queryset.iterator(chunk_size=GENERIC_CHUNK_SIZE):
            yield [getter(obj) for getter in getters]

    def xlsx_generic_export_file(self, request, queryset):
        """The changelist queryset (scoped, filtered, searched, ordered) under the list_display columns."""
        fields = self.get_xlsx_fields(request)
        columns = self.get_xlsx_columns(request, fields)
        return xlsx.write_xlsx(columns, self.xlsx_generic_rows(fields, queryset), sheet_title=self._name())


def _xlsx_value(value):
    """A value as ``core.xlsx.write_xlsx`` writes it: aware datetimes in local time without tzinfo
    (Excel has no time zones), HTML reduced to its text, lazy strings and model objects as text."""
    if value is None or isinstance(value, (bool, str, int, float)) and not isinstance(value, SafeData):
        return value
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, SafeData):
        return strip_tags(str(value))
    if isinstance(value, (Promise, models.Model)):
        return str(value)
    return value
