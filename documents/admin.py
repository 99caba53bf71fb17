"""Bureau side: edit notice texts per campaign, print batches, start the summary report."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.timelimit import TimeLimitExceeded
from core.xlsx_admin import XlsxAdminMixin
from estates import scoping
from estates.scoped_admin import ScopedAdmin

from . import services
from .forms import CampaignReportForm, NoticeBatchForm
from .models import NoticeKind, NoticeTemplate
from .placeholders import PlaceholderError, placeholder_help


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(XlsxAdminMixin, ScopedAdmin):
    list_display = ["kind", "campaign", "title", "updated_at", "updated_by", "preview_link"]
    list_filter = ["kind"]
    list_select_related = ["campaign", "updated_by"]
    search_fields = ["title", "body", "campaign__name"]
    fields = ["campaign", "kind", "title", "body"]
    change_list_template = "admin/xlsx/change_list.html"
    xlsx_base_change_list_template = "admin/documents/noticetemplate/change_list.html"
    xlsx_exclude = ["preview_link"]
    change_form_template = "admin/documents/noticetemplate/change_form.html"

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.campaign_id is None:
            return self._is_city(request)  # the generic texts belong to the city
        return super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "campaign" and field is not None:
            # Texts are written by the campaign's issuer, not by those who follow it.
            field.queryset = field.queryset.filter(scoping.issued_by_q(request.user))
        return field

    def get_changeform_initial_data(self, request):
        from .defaults import DEFAULTS

        initial = super().get_changeform_initial_data(request)
        kind = initial.get("kind") or NoticeKind.OPEN_LETTER
        if kind in NoticeKind.values:
            initial.setdefault("kind", kind)
            title, body = DEFAULTS[NoticeKind(kind)]
            initial.setdefault("title", title)
            initial.setdefault("body", body)
        return initial

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("预览"))
    def preview_link(self, obj):
        return format_html('<a href="{}" target="_blank">{}</a>',
                           reverse("admin:documents_noticetemplate_preview", args=[obj.pk]), _("预览 PDF"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        intro = _(
            "正文中写 {{ estate.name }} 这样的占位符，打印时替换为各小区的实际信息。"
            "可用 {% if campaign.document_number %}…{% endif %} 让一段文字只在有值时显示，"
            "用 {{ estate.address|default:\"（地址待补）\" }} 给空值指定替代文字。其他模板标签不能使用。"
        )
        extra_context = {**(extra_context or {}), "placeholder_help": placeholder_help(), "placeholder_intro": intro}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("print/", wrap(self.print_view), name="documents_noticetemplate_print"),
            path("report/", wrap(self.report_view), name="documents_noticetemplate_report"),
            path("<int:pk>/preview/", wrap(self.preview_view), name="documents_noticetemplate_preview"),
        ] + super().get_urls()

    def print_view(self, request):
        """Batch printing: all estates of a district, a street, a firm, or a list of codes, as one PDF."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from .views import start_batch_from_form

        form = NoticeBatchForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            job = start_batch_from_form(request, form)
            if job is not None:
                return redirect("jobs:detail", pk=job.pk)
        if request.method == "POST" and request.POST.get("copy_defaults") and form.cleaned_data.get("campaign"):
            created = services.notice_templates_copy_defaults(user=request.user, campaign=form.cleaned_data["campaign"])
            messages.success(request, _("已为本活动建立 %(n)s 份可编辑文本。") % {"n": len(created)})
        context = {**self.admin_site.each_context(request), "title": _("批量打印公告"), "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/documents/noticetemplate/print.html", context)

    def report_view(self, request):
        """The campaign summary report (city or district) for a date, generated as a job."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = CampaignReportForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            job = services.campaign_report_start(
                user=request.user, campaign=form.cleaned_data["campaign"], agency=form.cleaned_data["agency"],
                as_of=form.cleaned_data["as_of"],
            )
            return redirect("jobs:detail", pk=job.pk)
        context = {**self.admin_site.each_context(request), "title": _("创建活动总结报告"), "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/documents/noticetemplate/report.html", context)

    def preview_view(self, request, pk):
        """The text as printed for the first estate the user may see."""
        from django.http import Http404

        from . import selectors
        from .views import pdf_response

        template = scoping.get_or_404(self.get_queryset(request), pk=pk)
        estates = selectors.print_estates(user=request.user)
        first = estates.values_list("pk", flat=True).first()
        if first is None:
            raise Http404
        try:
            pdf = services.notice_preview_pdf(template=template, estates=estates.filter(pk=first))
        except TimeLimitExceeded:
            messages.error(request, _("预览未能在 %(s)s 秒内生成：文本过长或过于复杂，请缩短或简化后再预览。") % {
                "s": f"{settings.NOTICE_PREVIEW_TIME_LIMIT:g}"})
        except PlaceholderError as exc:  # a text saved before the current limits
            messages.error(request, _("无法预览：%(error)s") % {"error": exc})
        else:
            return pdf_response(pdf, _("%(kind)s-预览.pdf") % {"kind": template.get_kind_display()})
        return redirect("admin:documents_noticetemplate_change", template.pk)
