"""Excel export of the estate and firm changelists, and the template downloads."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from estates.importers import ESTATE_SPEC, FIRM_SPEC, import_estates, import_firms
from estates.models import Estate
from tests import factories as f


def export(client, model, query=""):
    response = client.get(reverse(f"admin:estates_{model}_xlsx_export") + query)
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content)
    return response, load_workbook(io.BytesIO(body)).active


def codes(sheet):
    return sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))


def test_estate_export_has_template_headers_then_extras(world, client):
    client.force_login(world.city_user)
    response, sheet = export(client, "estate")
    assert response["Content-Disposition"].startswith("attachment")
    headers = [c.value for c in sheet[1]]
    assert headers == [c.label for c in ESTATE_SPEC.columns] + ["物业服务企业", "老小区", "登记时间"]
    assert sheet.freeze_panes == "A2"


def test_estate_export_writes_values_and_dates_as_dates(world, client):
    client.force_login(world.city_user)
    _, sheet = export(client, "estate", "?q=HS002")
    row = {c.value: cell for c, cell in zip(sheet[1], sheet[2], strict=False)}
    assert row["小区编码"].value == "HS002"
    assert row["所属区"].value == "海曙区住建局"
    assert row["物业企业信用代码"].value == world.firm.credit_code
    assert row["小区类别"].value == "二类"
    assert row["户数"].value == 500
    assert row["老小区"].value == "是"
    assert row["登记时间"].is_date
    assert isinstance(row["登记时间"].value, datetime.datetime)
    assert row["登记时间"].number_format == "yyyy-mm-dd hh:mm"


def test_district_officer_exports_only_their_district(world, client):
    client.force_login(world.district_user)
    _, sheet = export(client, "estate")
    assert codes(sheet) == ["HS001", "HS002"]


def test_street_officer_exports_only_their_street(world, client):
    client.force_login(world.street_user)
    _, sheet = export(client, "estate")
    assert codes(sheet) == ["HS001"]


def test_export_follows_changelist_filters_and_search(world, client):
    client.force_login(world.city_user)
    _, by_district = export(client, "estate", f"?district={world.other_district.pk}")
    _, by_search = export(client, "estate", "?q=南门")
    _, old_only = export(client, "estate", "?old=1")
    assert codes(by_district) == ["JB001"]
    assert codes(by_search) == ["HS002"]
    assert codes(old_only) == ["HS002"]


def test_export_ignores_the_page_number(world, client, settings):
    client.force_login(world.city_user)
    f.EstateFactory.create_batch(60, street=world.street, firm=world.firm)
    _, sheet = export(client, "estate", "?p=2")
    assert sheet.max_row == 1 + Estate.objects.count()


def test_export_query_count_does_not_grow_with_rows(world, client):
    client.force_login(world.city_user)
    url = reverse("admin:estates_estate_xlsx_export")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(url).streaming_content)
        return len(ctx)

    small = count()
    f.EstateFactory.create_batch(30, street=world.street, firm=world.firm)
    assert count() == small


def test_exported_estates_import_back_unchanged(world, client):
    client.force_login(world.city_user)
    response = client.get(reverse("admin:estates_estate_xlsx_export"))
    upload = SimpleUploadedFile("导出.xlsx", b"".join(response.streaming_content))
    result = import_estates(user=world.city_user, upload=upload)
    assert result.ok, result.errors
    assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 0, 3)


def test_firm_export_is_scoped_and_imports_back_unchanged(world, client):
    client.force_login(world.district_user)
    response = client.get(reverse("admin:estates_propertyfirm_xlsx_export"))
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    assert [c.value for c in sheet[1]] == [c.label for c in FIRM_SPEC.columns] + ["在管小区", "登记时间"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["月湖物业"]
    assert sheet.cell(row=2, column=len(FIRM_SPEC.columns) + 1).value == 2
    result = import_firms(user=world.district_user, upload=SimpleUploadedFile("firms.xlsx", body))
    assert result.ok and result.counts.unchanged == 1


def test_export_needs_admin_access(world, client):
    client.force_login(world.firm_user)
    response = client.get(reverse("admin:estates_estate_xlsx_export"))
    assert response.status_code in (302, 403)


def test_estate_template_download(world, client):
    client.force_login(world.district_user)
    response = client.get(reverse("admin:estates_estate_xlsx_template"))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    data, guide = wb.worksheets
    assert [c.value for c in data[1]] == [c.label for c in ESTATE_SPEC.columns]
    assert data.freeze_panes == "A2"
    assert guide.title == "填写说明"
    firm_column = [c.key for c in ESTATE_SPEC.columns].index("firm") + 1
    assert data.column_dimensions[get_column_letter(firm_column)].number_format == "@"  # 18 digits stay text


def test_firm_template_download(world, client):
    client.force_login(world.city_user)
    response = client.get(reverse("admin:estates_propertyfirm_xlsx_template"))
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in wb.worksheets[0][1]] == [c.label for c in FIRM_SPEC.columns]
