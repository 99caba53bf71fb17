"""Excel export of the registry lists.

The columns are the import template's (same headers, same value forms: short agency
names, credit codes, 一类/一级, 是/否), so an exported file can be edited and imported
again; read-only extras (firm name, old estate, registration time) follow and are
ignored by the importer. Rows are streamed with ``values_list(...).iterator()`` into
``core.xlsx.write_xlsx`` (write-only mode): memory stays flat for any list size.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from core.xlsx import ExportColumn, write_xlsx

from .importers import CATEGORY_LABELS, ESTATE_SPEC, FIRM_SPEC, GRADE_LABELS


def _spec_columns(spec):
    return [ExportColumn(c.header, width=c.width) for c in spec.columns]


def _display(name, short_name):
    return short_name or name or ""


def estate_export_columns():
    return _spec_columns(ESTATE_SPEC) + [
        ExportColumn(_("物业服务企业"), width=32),
        ExportColumn(_("老小区")),
        ExportColumn(_("登记时间"), width=18),
    ]


def estate_export_rows(queryset):
    """Rows of ``queryset`` (already scoped and filtered by the caller) in column order."""
    fields = (
        "code", "name", "address", "district__name", "district__short_name", "street__name", "street__short_name",
        "community__name", "community__short_name", "firm__credit_code", "category", "year_built", "households",
        "floor_area", "has_owners_committee", "hotline", "complaint_phone", "is_active", "firm__name", "created_at",
    )
    old_before = settings.OLD_ESTATE_BEFORE_YEAR
    for (code, name, address, d_name, d_short, s_name, s_short, c_name, c_short, firm_code, category, year,
         households, floor_area, committee, hotline, complaint, active, firm_name, created) in (
            queryset.values_list(*fields).iterator(chunk_size=2000)):
        yield (
            code, name, address, _display(d_name, d_short), _display(s_name, s_short), _display(c_name, c_short),
            firm_code or "", str(CATEGORY_LABELS[category - 1]) if category else "", year, households, floor_area,
            committee, hotline, complaint, active, firm_name or "",
            year is not None and year < old_before, created,
        )


def firm_export_columns():
    return _spec_columns(FIRM_SPEC) + [
        ExportColumn(_("在管小区")),
        ExportColumn(_("登记时间"), width=18),
    ]


def firm_export_rows(queryset):
    fields = (
        "name", "credit_code", "grade", "district__name", "district__short_name", "address", "contact_person",
        "contact_phone", "hotline", "complaint_phone", "email", "is_active", "created_at",
    )
    counts = "estate_count" in queryset.query.annotations
    if counts:
        fields += ("estate_count",)
    for values in queryset.values_list(*fields).iterator(chunk_size=2000):
        (name, code, grade, d_name, d_short, address, person, phone, hotline, complaint, email, active,
         created) = values[:13]
        yield (
            name, code, str(GRADE_LABELS[grade - 1]) if grade else "", _display(d_name, d_short), address, person,
            phone, hotline, complaint, email, active, values[13] if counts else None, created,
        )


def export_estates(queryset):
    """A temporary .xlsx file of the estates in ``queryset`` (see core.xlsx.write_xlsx)."""
    return write_xlsx(estate_export_columns(), estate_export_rows(queryset), sheet_title=_("住宅小区"))


def export_firms(queryset):
    return write_xlsx(firm_export_columns(), firm_export_rows(queryset), sheet_title=_("物业服务企业"))
