"""core/xlsx.py: the import framework (specs, parsing, all-or-nothing, refused uploads,
marked copy, template) and the write-only export helper."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core import xlsx
from core.models import Job
from estates.models import Agency

SPEC = xlsx.ImportSpec(
    title="测试机构",
    columns=[
        xlsx.Column("名称", "name", required=True, parser=xlsx.text(20), help_text="机构全称", example="海曙区"),
        xlsx.Column("电话", "phone", parser=xlsx.parse_phone),
        xlsx.Column("人数", "count", parser=xlsx.integer(0), default=0),
        xlsx.Column("启用", "active", parser=xlsx.parse_bool, choices=xlsx.YES_NO, default=True),
        xlsx.Column("成立日期", "founded", parser=xlsx.parse_date, default=None),
    ],
    instructions=["本表仅供测试。"],
)
HEADERS = [c.label for c in SPEC.columns]


class CityImporter(xlsx.Importer):
    """A minimal importer: creates cities by name, refusing names that already exist."""

    spec = SPEC

    def prepare(self, rows):
        self.existing = set(Agency.objects.values_list("name", flat=True))

    def validate(self, row):
        if row.values.get("name") in self.existing:
            row.error("name", "已存在。")

    def save(self, rows):
        for row in rows:
            Agency.objects.create(name=row.values["name"], level=Agency.Level.CITY, phone=row.values.get("phone", ""))
        return xlsx.ImportCounts(created=len(rows))


def xlsx_upload(rows, headers=HEADERS, name="data.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def run(rows, user=None, **kwargs):
    return CityImporter(user=user).run(xlsx_upload(rows, **kwargs))


# --- parsing --------------------------------------------------------------------------------------


def test_valid_rows_are_saved(db):
    result = run([["甲市", "0574-87000001", 3, "是", None], ["乙市", None, None, None, None]])
    assert result.ok and result.counts.created == 2
    assert set(Agency.objects.values_list("name", flat=True)) == {"甲市", "乙市"}


def test_any_bad_row_saves_nothing(db):
    result = run([["甲市", None, 3, "是", None], ["乙市", None, "三", None, None]])
    assert [(e.row, e.column) for e in result.errors] == [(3, "人数")]
    assert not Agency.objects.exists()


def test_errors_of_parsing_and_validation_are_all_collected(db):
    Agency.objects.create(name="甲市", level=Agency.Level.CITY)
    result = run([["甲市", None, None, None, None], [None, "x", -1, "也许", "昨天"]])
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "名称"), (3, "名称"), (3, "电话"), (3, "人数"), (3, "启用"), (3, "成立日期")]
    assert result.errors[1].message == "必填，不能为空。"


def test_full_width_digits_and_letters_are_normalised(db):
    importer = CityImporter()
    row = ["ＡＢ市（新）", "０５７４－８７０００００１", "１２", "是", "２０１１－０７－２２"]
    rows = importer.read(xlsx_upload([row]))
    assert rows[0].values == {
        "name": "AB市（新）", "phone": "0574-87000001", "count": 12, "active": True,
        "founded": datetime.date(2011, 7, 22),
    }


def test_headers_match_regardless_of_spaces_and_order(db):
    rows = CityImporter().read(xlsx_upload([["3", "甲市"]], headers=["人 数", " 名称 *"]))
    assert rows[0].values == {"count": 3, "name": "甲市"}


def test_missing_required_header_is_one_error(db):
    result = run([["0574-87000001"]], headers=["电话"])
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (1, "", "缺少必填列“名称”，请使用下载的导入模板。")]


def test_empty_rows_are_skipped(db):
    result = run([["甲市"], [None, None], ["乙市"]], headers=["名称"])
    assert result.counts.created == 2


def test_sheet_without_data_rows_is_an_error(db):
    result = run([])
    assert result.errors[0].message == "表格中没有数据行。"


def test_excel_dates_and_numbers_are_parsed(db):
    rows = CityImporter().read(xlsx_upload([["甲市", 13800138000, 12.0, True, datetime.datetime(2011, 7, 22)]]))
    assert rows[0].values == {"name": "甲市", "phone": "13800138000", "count": 12, "active": True,
                              "founded": datetime.date(2011, 7, 22)}


@pytest.mark.parametrize("value, expected", [("1,200", 1200), (" 7 ", 7), ("１２", 12)])
def test_integer_parser_accepts_common_forms(value, expected):
    assert xlsx.integer()(value) == expected


def test_decimal_parser_rounds_to_places():
    assert xlsx.decimal(12, 2)("1234.567") == Decimal("1234.57")


def test_choice_parser_lists_the_choices_in_its_message():
    with pytest.raises(ValidationError) as exc:
        xlsx.choice({"一类": 1, "二类": 2})("四类")
    assert exc.value.messages == ["“四类”无效，可选：一类、二类。"]


def test_clash_at_save_time_saves_nothing_and_says_so(db):
    class ClashingImporter(CityImporter):
        def save(self, rows):
            super().save(rows)
            raise IntegrityError("duplicate key")

    result = ClashingImporter().run(xlsx_upload([["甲市"]], headers=["名称"]))
    assert not result.ok and "同时修改" in result.errors[0].message
    assert not Agency.objects.exists()


# --- refused uploads ------------------------------------------------------------------------------


def test_non_xlsx_upload_is_refused(db):
    with pytest.raises(xlsx.UploadRefused, match=r"\.xlsx"):
        CityImporter().run(SimpleUploadedFile("名单.csv", "名称\n甲市\n".encode()))


def test_too_large_upload_is_refused(db, settings):
    settings.MAX_IMPORT_UPLOAD_SIZE = 1024
    upload = xlsx_upload([["很长的名称" * 20] for _ in range(200)])
    assert upload.size > 1024
    with pytest.raises(xlsx.UploadRefused, match="超过上限 0.0 MB|超过上限"):
        CityImporter().run(upload)


def test_corrupt_upload_is_refused(db):
    good = xlsx_upload([["甲市"]], headers=["名称"]).read()
    with pytest.raises(xlsx.UploadRefused, match="损坏"):
        CityImporter().run(SimpleUploadedFile("坏文件.xlsx", good[: len(good) // 2]))


def test_zip_that_is_not_a_workbook_is_refused(db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(xlsx.UploadRefused, match="损坏"):
        CityImporter().run(SimpleUploadedFile("伪装.xlsx", out.getvalue()))


def test_workbook_with_broken_sheet_xml_is_refused(db):
    source = zipfile.ZipFile(io.BytesIO(xlsx_upload([["甲市"]], headers=["名称"]).read()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(info, data)
    with pytest.raises(xlsx.UploadRefused, match="损坏"):
        CityImporter().run(SimpleUploadedFile("半截.xlsx", out.getvalue()))


# --- the marked copy ------------------------------------------------------------------------------


def test_marked_copy_fills_bad_cells_and_comments_them(db):
    result = run([["甲市", None, "三", None, None]])
    sheet = load_workbook(io.BytesIO(result.marked_copy)).active
    bad = sheet.cell(row=2, column=3)
    assert bad.fill.fgColor.rgb == xlsx.ERROR_FILL_COLOR
    assert "不是整数" in bad.comment.text
    assert sheet.cell(row=2, column=1).comment is None
    assert sheet.cell(row=1, column=6).value == "错误说明"
    assert "人数" in sheet.cell(row=2, column=6).value


def test_marked_copy_comments_only_the_first_bad_cells_of_a_very_wrong_sheet(db, monkeypatch):
    monkeypatch.setattr("core.xlsx.marked.MAX_COMMENTS", 2)
    result = run([["甲市", None, "三", None, None], ["乙市", None, "四", None, None], ["丙市", None, "五", None, None]])
    sheet = load_workbook(io.BytesIO(result.marked_copy)).active
    assert [sheet.cell(row=n, column=3).comment is not None for n in (2, 3, 4)] == [True, True, False]
    assert sheet.cell(row=4, column=3).fill.fgColor.rgb == xlsx.ERROR_FILL_COLOR
    assert "不是整数" in sheet.cell(row=4, column=6).value


def test_marked_copy_keeps_values_and_dates_and_row_numbers_after_gaps(db):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["甲市", "0574-87000001", 1, "是", datetime.date(2011, 7, 22)])
    ws.cell(row=4, column=1, value="乙市")  # row 3 left empty
    ws.cell(row=4, column=3, value="很多")
    out = io.BytesIO()
    wb.save(out)
    result = CityImporter().run(SimpleUploadedFile("gap.xlsx", out.getvalue()))
    assert [(e.row, e.column) for e in result.errors] == [(4, "人数")]
    sheet = load_workbook(io.BytesIO(result.marked_copy)).active
    assert [c.value for c in sheet[1]] == HEADERS + ["错误说明"]
    assert sheet["E2"].is_date and sheet["E2"].value == datetime.datetime(2011, 7, 22)
    assert sheet["B2"].value == "0574-87000001"
    assert sheet["C4"].value == "很多" and sheet["C4"].fill.fgColor.rgb == xlsx.ERROR_FILL_COLOR
    assert sheet["F2"].value is None


def test_too_many_rows_are_refused(db):
    class SmallImporter(CityImporter):
        max_rows = 2

    with pytest.raises(xlsx.UploadRefused, match="超过 2 行"):
        SmallImporter().run(xlsx_upload([["甲市"], ["乙市"], ["丙市"]], headers=["名称"]))


def test_marked_copy_is_stored_as_a_job_of_the_user(world):
    result = run([["名" * 30]], user=world.district_user, headers=["名称"])
    job = result.job
    assert (job.kind, job.state, job.owner, job.organisation) == (
        "xlsx-import-errors", Job.State.DONE, world.district_user, f"estates.agency:{world.district.pk}")
    hours = (job.expires_at - timezone.now()).total_seconds() / 3600
    from django.conf import settings

    assert settings.JOB_FILE_TTL_HOURS - 1 < hours <= settings.JOB_FILE_TTL_HOURS
    with job.result.open("rb") as fh:
        assert load_workbook(fh).active.cell(row=2, column=1).comment is not None


def test_successful_import_stores_no_job(world):
    run([["甲市"]], user=world.district_user, headers=["名称"])
    assert not Job.objects.exists()


# --- the template ---------------------------------------------------------------------------------


def test_template_has_headers_frozen_row_widths_and_instructions():
    wb = load_workbook(io.BytesIO(xlsx.template_workbook(SPEC)))
    data, guide = wb.worksheets
    assert [c.value for c in data[1]] == HEADERS
    assert data.freeze_panes == "A2"
    assert data.column_dimensions["A"].width >= 10
    assert data["A1"].font.b
    assert "机构全称" in data["A1"].comment.text
    assert guide.title == "填写说明"
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "本表仅供测试。" in text and "整批都不会保存" in text and "机构全称" in text
    assert any(dv.formula1 == '"是,否"' for dv in data.data_validations.dataValidation)


def test_template_imports_back_without_errors_once_filled(db):
    wb = load_workbook(io.BytesIO(xlsx.template_workbook(SPEC)))
    wb.active.append(["甲市"])
    out = io.BytesIO()
    wb.save(out)
    assert CityImporter().run(SimpleUploadedFile("t.xlsx", out.getvalue())).ok


# --- export ---------------------------------------------------------------------------------------


def test_write_xlsx_writes_headers_frozen_and_typed_values(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime.datetime(2011, 7, 22, 1, 30, tzinfo=datetime.UTC)
    columns = [xlsx.ExportColumn("日期", width=14), "时间", ("金额", 12), "是否", "空"]
    fh = xlsx.write_xlsx(columns, iter([(datetime.date(2011, 7, 22), moment, Decimal("1.50"), True, None)]),
                         sheet_title="导出")
    sheet = load_workbook(fh).active
    assert sheet.title == "导出"
    assert [c.value for c in sheet[1]] == ["日期", "时间", "金额", "是否", "空"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 14
    date_cell, time_cell = sheet["A2"], sheet["B2"]
    assert date_cell.is_date and date_cell.value == datetime.datetime(2011, 7, 22)
    assert date_cell.number_format == xlsx.DATE_FORMAT
    assert time_cell.is_date and time_cell.value == datetime.datetime(2011, 7, 22, 9, 30)
    assert sheet["C2"].value == 1.5 and sheet["D2"].value == "是" and sheet["E2"].value is None


def test_write_xlsx_consumes_a_generator_once():
    consumed = []

    def rows():
        for i in range(1000):
            consumed.append(i)
            yield (i, f"第{i}行")

    sheet = load_workbook(xlsx.write_xlsx(["序号", "名称"], rows())).active
    assert sheet.max_row == 1001 and len(consumed) == 1000


def test_xlsx_response_is_a_download_with_chinese_name():
    response = xlsx.xlsx_response(["名称"], [("甲",)], filename="小区名单")
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    assert "filename*=utf-8''%E5%B0%8F%E5%8C%BA" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert load_workbook(io.BytesIO(body)).active["A2"].value == "甲"
