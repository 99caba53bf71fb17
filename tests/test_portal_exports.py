"""The firm portal's estate list as an Excel download: the firm's own (searched) estates only."""

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from estates.exporters import estate_export_columns
from tests import factories as f

URL = reverse("portal:estate_export")


def sheet_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def codes(sheet):
    return sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))


def test_the_export_lists_the_firms_estates_and_never_another_firms(client, world):
    client.force_login(world.firm_user)
    assert codes(sheet_of(client.get(URL))) == ["HS001", "HS002"]


def test_the_other_firm_exports_only_its_own_estates(client, world):
    client.force_login(world.other_firm_user)
    assert codes(sheet_of(client.get(URL))) == ["JB001"]


def test_the_export_follows_the_search(client, world):
    client.force_login(world.firm_user)
    assert codes(sheet_of(client.get(URL, {"q": "南门"}))) == ["HS002"]


def test_searching_for_another_firms_estate_exports_nothing(client, world):
    client.force_login(world.firm_user)
    assert codes(sheet_of(client.get(URL, {"q": "JB001"}))) == []


def test_the_export_has_chinese_headers_and_a_frozen_header_row(client, world):
    client.force_login(world.firm_user)
    sheet = sheet_of(client.get(URL))
    assert [c.value for c in sheet[1]] == [str(c.header) for c in estate_export_columns()]
    assert sheet.freeze_panes == "A2"


def test_the_dashboard_links_the_export_with_the_search(client, world):
    client.force_login(world.firm_user)
    html = client.get(reverse("portal:dashboard"), {"q": "南门"}).content.decode()
    assert f'href="{URL}?q=%E5%8D%97%E9%97%A8"' in html
    assert "导出 Excel" in html


def test_bureau_staff_are_sent_away_from_the_portal_export(client, world):
    client.force_login(world.district_user)
    response = client.get(URL)
    assert response.status_code == 302


def test_the_export_needs_a_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_export_runs_the_same_queries_for_few_and_many_estates(client, world):
    client.force_login(world.firm_user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            sheet_of(client.get(URL))
        return len(ctx.captured_queries)

    few = count()
    for _ in range(5):
        f.EstateFactory(street=world.street, firm=world.firm)
    assert count() == few


def test_the_file_is_named_after_the_list(client, world):
    client.force_login(world.firm_user)
    disposition = client.get(URL)["Content-Disposition"]
    assert disposition.startswith("attachment") and "%E5%9C%A8%E7%AE%A1%E5%B0%8F%E5%8C%BA_" in disposition  # 在管小区_
