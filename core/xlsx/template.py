"""The downloadable template of an ImportSpec: headers, widths, drop-down lists, an instructions sheet."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

from core.text import join_list
from core.xlsx.cells import XLSX_CONTENT_TYPE, _sheet_title, _width, text_cell


def template_workbook(spec, *, rows=()) -> bytes:
    """The template of ``spec`` as .xlsx bytes: blank, or with ``rows`` (value lists in column
    order, e.g. the user's own estates) written under the header for the user to complete."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.sheet_title
    header_fill = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.label)
        cell.font = Font(bold=True, color="FFC00000" if column.required else "FF000000")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _width(column.label, column.width)
        note = _column_note(column)
        if note:
            cell.comment = Comment(note, str(_("填写说明")))
        if column.choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(str(c) for c in column.choices) + '"', allow_blank=True,
                showErrorMessage=True, errorTitle=str(_("输入有误")),
                error=str(_("请从下拉列表中选择。")),
            )
            validation.add(f"{letter}2:{letter}10001")
            sheet.add_data_validation(validation)
        if column.as_text_cells:
            # Codes and phone numbers stay text: Excel would drop leading zeros and round 18 digits.
            sheet.column_dimensions[letter].number_format = "@"
    for values in rows:
        sheet.append([text_cell(sheet, v) if isinstance(v, str) else v for v in values])
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(_sheet_title(str(_("填写说明"))))
    guide.append([str(_("%(title)s 导入说明") % {"title": spec.title})])
    guide["A1"].font = Font(bold=True, size=14)
    general = [
        _("第一个工作表为数据表，第 1 行为表头，请勿修改或删除表头；从第 2 行起每行一条记录。"),
        _("红色表头为必填列；空行会被忽略；全角数字和字母（如“１２３”“ＡＢ”）会自动转为半角。"),
        _("导入前会检查全部行：只要有一行出错，整批都不会保存；系统会列出错误（行号、列名、原因），"
          "并提供一份把出错单元格标红、附批注的文件供修改。"),
        _("已存在的记录按唯一编码更新，新编码新增；同一文件重复导入不会产生任何变化。"),
        *spec.instructions,
    ]
    for line in general:
        guide.append([str(line)])
    guide.append([])
    guide.append([str(_("列名")), str(_("是否必填")), str(_("说明")), str(_("示例"))])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for column in spec.columns:
        help_text = str(column.help_text)
        if column.choices:
            help_text = (help_text + " " if help_text else "") + str(_("可选：%(c)s")) % {
                "c": join_list(column.choices)
            }
        guide.append([column.label, str(_("必填") if column.required else _("选填")), help_text, str(column.example)])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 70
    guide.column_dimensions["D"].width = 28
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _column_note(column):
    parts = []
    if column.required:
        parts.append(str(_("必填")))
    if column.help_text:
        parts.append(str(column.help_text))
    if column.example:
        parts.append(str(_("示例：%(e)s")) % {"e": column.example})
    return "\n".join(parts)


def xlsx_filename(name):
    name = str(name)
    return name if name.lower().endswith(".xlsx") else f"{name}.xlsx"


def template_response(spec, *, filename=None, rows=()) -> HttpResponse:
    name = xlsx_filename(filename or _("%(title)s导入模板") % {"title": spec.title})
    return FileResponse(io.BytesIO(template_workbook(spec, rows=rows)), as_attachment=True, filename=name,
                        content_type=XLSX_CONTENT_TYPE)
