"""The documents' part of `manage.py bench_pages` (core/benchpages/registry.py): the firm's documents page and
the notice templates' admin list. The PDFs and exports are timed by bench_letters, bench_report, bench_export."""

from django.urls import reverse

from core.benchpages.registry import register_exemption, register_page

register_page("portal.documents", role="firm", pattern="documents:portal", url=lambda ctx: reverse("documents:portal"))
register_page("admin.noticetemplate_changelist", role="city", kind="changelist",
              pattern="admin:documents_noticetemplate_changelist",
              url=lambda ctx: reverse("admin:documents_noticetemplate_changelist"))
register_exemption("documents:notice_pdf", "a PDF download (WeasyPrint), timed by bench_letters")
register_exemption("documents:obligations_export", "an Excel download, timed by bench_export")
