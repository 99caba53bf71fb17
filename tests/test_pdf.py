"""The PDF foundation: CJK SC font (subset), extractable text, header and footer, no URL fetching."""

import io
import re
import subprocess

import pytest
from pypdf import PdfReader

from core import pdf as core_pdf


def pdftotext(data):
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def squash(text):
    return re.sub(r"\s+", "", text)


def font_names(data):
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def letter_pdf(db):
    return core_pdf.render_documents_pdf(
        "print/notices/notice.html",
        [{"notice_template": "print/notices/open_letter.html", "title": "致月湖花园全体业主的一封信",
          "body_html": "<p>您好！这是一封测试信。</p>", "estate": {"hotline": "0574-87000001",
          "complaint_phone": "0574-87000002"}, "office": {"name": "月湖花园物业服务中心"}, "today": "2026年1月1日",
          "qr_svg": ""}],
        title="测试",
    )


def test_embedded_fonts_are_noto_cjk_sc_not_jp(letter_pdf):
    names = font_names(letter_pdf)
    assert names and all("CJK-SC" in name for name in names), names


def test_fonts_are_subset_not_embedded_whole(letter_pdf):
    # A subset font's name carries a six-letter tag ("ABCDEF+"); a whole Noto CJK face is ~16 MB.
    assert all(re.match(r"^/[A-Z]{6}\+", name) for name in font_names(letter_pdf))
    assert len(letter_pdf) < 600_000


def test_chinese_text_extracts_with_pdftotext(letter_pdf):
    assert "致月湖花园全体业主的一封信" in squash(pdftotext(letter_pdf))


def test_footer_numbers_pages_in_chinese(db):
    data = core_pdf.render_pdf("print/campaign_report.html", _empty_report(), issuer="宁波市住建委")
    text = squash(pdftotext(data))
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert f"第1页共{pages}页" in text


def test_header_shows_issuer_and_print_date(db):
    from django.utils import timezone

    data = core_pdf.render_pdf("print/campaign_report.html", _empty_report(), issuer="宁波市住建委")
    text = squash(pdftotext(data))
    assert "宁波市住建委" in text
    assert f"打印日期：{timezone.localdate():%Y-%m-%d}" in text


def test_document_language_is_simplified_chinese(db):
    html = core_pdf.render_to_string("print/documents.html", core_pdf.print_context({"bodies": []}))
    assert '<html lang="zh-Hans">' in html


def test_page_counter_css_follows_the_translation():
    assert str(core_pdf.page_counter_css()) == '"第 " counter(page) " 页 共 " counter(pages) " 页"'


def test_renderer_fetches_no_external_url(monkeypatch):
    from weasyprint.urls import URLFetcher

    opened = []
    monkeypatch.setattr(URLFetcher, "open", lambda self, *a, **k: opened.append(a) or (_ for _ in ()).throw(OSError))
    core_pdf.html_to_pdf('<html><body><img src="http://127.0.0.1:9/x.png"><p>字</p></body></html>')
    assert opened == []


def test_batch_renders_one_section_per_document(db):
    data = core_pdf.render_documents_pdf(
        "print/notices/notice.html",
        [{"notice_template": "print/notices/service_list.html", "title": f"清单{i}", "body_html": "",
          "estate": {}, "office": {"name": f"服务中心{i}"}, "today": ""} for i in range(3)],
    )
    assert len(PdfReader(io.BytesIO(data)).pages) == 3


def _empty_report():
    import datetime

    from estates.models import Agency

    agency = Agency(name="宁波市住建委", short_name="宁波市", level=Agency.Level.CITY)
    totals = {"total": 0, "accepted": 0, "submitted": 0, "returned": 0, "overdue": 0, "late": 0, "done_pct": 0.0}
    campaign = type("C", (), {"name": "测试活动", "document_number": ""})()
    return {
        "campaign": campaign, "agency": agency, "area": "宁波市", "is_city": True, "as_of": datetime.date(2011, 8, 1),
        "totals": totals, "by_action": [], "by_task": [], "by_district": [], "by_street": [], "by_firm": [],
        "overdue_rows": [], "overdue_count": 0, "overdue_matrix": [], "timeline": [], "area_chart": "",
        "timeline_chart": "", "training_summary": {"count": 0, "by_agencies": 0, "by_firms": 0, "attendees": 0},
        "training_rows": [], "activity_summary": [],
    }


def test_each_document_of_a_batch_numbers_its_own_pages(db):
    long_body = "<p>" + "很长的服务内容说明。" * 700 + "</p>"
    data = core_pdf.render_documents_pdf(
        "print/notices/notice.html",
        [{"notice_template": "print/notices/service_list.html", "title": f"清单{i}",
          "body_html": long_body if i == 1 else "", "estate": {}, "office": {"name": f"服务中心{i}"}, "today": ""}
         for i in range(3)],
    )
    footers = re.findall(r"第(\d+)页共(\d+)页", squash(pdftotext(data)))
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages > 3
    middle = pages - 2
    assert footers == [("1", "1")] + [(str(n), str(middle)) for n in range(1, middle + 1)] + [("1", "1")]


def test_batch_reports_progress_while_pages_are_laid_out(db):
    heard = []
    core_pdf.render_documents_pdf(
        "print/notices/notice.html",
        [{"notice_template": "print/notices/service_list.html", "title": f"清单{i}", "body_html": "",
          "estate": {}, "office": {"name": "服务中心"}, "today": ""} for i in range(4)],
        progress=heard.append,
    )
    layout = [p for p in heard if 60 < p <= 85]
    assert layout and layout == sorted(layout) and heard[-1] == 85
