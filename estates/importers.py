"""Excel import of the registry: property firms (upsert by credit code) and estates
(upsert by estate code), built on core/xlsx.py.

Lookups (agencies, firms, existing rows, the user's visible agencies) are preloaded into
dicts in ``prepare``, a handful of queries for the whole file; rows are checked in
Python; the save is a few bulk statements with history rows (django-simple-history's
bulk helpers) carrying the importing user.

Scoping follows estates/scoping.py: a row is importable when one of its agencies
(district, street, community; a firm's supervising district) is visible to the user,
and an existing row is updatable when it is visible to the user — the same rule as the
admin's change form. Rows outside the scope are errors, never silently skipped.
"""

import datetime
import functools
import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core import xlsx
from core.text import join_list, join_messages
from core.validators import normalize_credit_code, normalize_text, validate_credit_code

from . import scoping, signals
from .models import Agency, Estate, PropertyFirm, estate_code_validator

BATCH = 500
CHANGE_REASON = gettext_lazy("Excel 导入")

STREET_LABEL = gettext_lazy("街道")
COMMUNITY_LABEL = gettext_lazy("社区")
GRADE_LABELS = (gettext_lazy("一级"), gettext_lazy("二级"), gettext_lazy("三级"))
CATEGORY_LABELS = (gettext_lazy("一类"), gettext_lazy("二类"), gettext_lazy("三类"))


@functools.lru_cache(maxsize=4096)  # an estate sheet repeats each firm's code many times
def _parse_credit_code(value):
    code = normalize_credit_code(xlsx.as_text(value))
    validate_credit_code(code)
    return code


def _parse_estate_code(value):
    code = xlsx.as_text(value).upper()
    if len(code) > 32:
        raise ValidationError(_("不能超过 %(n)s 个字符（当前 %(m)s 个）。") % {"n": 32, "m": len(code)})
    estate_code_validator(code)
    return code


@functools.cache
def _choice_parser(labels, extra, language):
    # One parser per interface language (cached by the caller's key); xlsx.choice matches the
    # labels in every language, so a Chinese template uploaded from the English interface works.
    # The lazy labels go in first: an equal plain string in `extra` must not replace the lazy key,
    # or the label's other languages would be lost.
    return xlsx.choice({**{label: i for i, label in enumerate(labels, start=1)}, **dict(extra)})


def _parse_grade(value):
    extra = (("一级", 1), ("二级", 2), ("三级", 3), ("一级资质", 1), ("二级资质", 2), ("三级资质", 3),
             ("1", 1), ("2", 2), ("3", 3))
    return _choice_parser(GRADE_LABELS, extra, translation.get_language())(value)


def _parse_category(value):
    extra = (("一类", 1), ("二类", 2), ("三类", 3), ("1", 1), ("2", 2), ("3", 3))
    return _choice_parser(CATEGORY_LABELS, extra, translation.get_language())(value)


# "1998", "1998年", "1998年6月", "1998-06-01", "1998/6/1", "1998.6": a year as bureaus type it.
_YEAR_TEXT = re.compile(r"(\d{4})(?:\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|[-/.]\d{1,2}(?:[-/.]\d{1,2})?)?")


_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _parse_year(value):
    """The year an estate was built: a number, a date cell (Excel shows a date for a cell
    formatted as one, e.g. 1998-01-01) or a text such as "1998年"; always the year alone."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        day = value.date() if isinstance(value, datetime.datetime) else value
        serial = (day - _EXCEL_EPOCH).days
        # "1998" typed into a cell formatted as a date is stored as serial 1998 and shown as
        # 1905-06-20: no estate of a campaign was built in 1900-1909, so read the serial back.
        value = serial if day.year < 1910 and 1900 <= serial <= timezone.localdate().year else day.year
    elif isinstance(value, str):
        match = _YEAR_TEXT.fullmatch(normalize_text(value).replace(" ", ""))
        if not match:
            raise ValidationError(_("“%(value)s”不是年份，请填写四位年份，如 1998 或 1998年。") % {"value": value})
        value = int(match.group(1))
    return xlsx.integer(1900, timezone.localdate().year)(value)


_phone_help = gettext_lazy("手机或固定电话，如 0574-87000000。")
# Codes and phone numbers are formatted as text in the template (no lost zeros, no rounding).
PHONE = {"parser": xlsx.parse_phone, "as_text_cells": True}
CREDIT_CODE = {"parser": _parse_credit_code, "as_text_cells": True}
ESTATE_CODE = {"parser": _parse_estate_code, "as_text_cells": True}

FIRM_SPEC = xlsx.ImportSpec(
    title=gettext_lazy("物业服务企业"),
    columns=[
        xlsx.Column(gettext_lazy("企业名称"), "name", required=True, parser=xlsx.text(100), width=32,
                    example="宁波甬城物业服务有限公司"),
        xlsx.Column(gettext_lazy("统一社会信用代码"), "credit_code", required=True, **CREDIT_CODE,
                    width=24, example="91330200MA0000001N",
                    help_text=gettext_lazy("18 位，含校验位；按此代码更新已有企业，新代码则新增。")),
        xlsx.Column(gettext_lazy("资质等级"), "grade", required=True, parser=_parse_grade, choices=GRADE_LABELS,
                    example="二级"),
        xlsx.Column(gettext_lazy("监管区"), "district", required=True, parser=xlsx.text(100), example="海曙区",
                    help_text=gettext_lazy("监管该企业的县（市）区主管部门，填全称或简称。")),
        xlsx.Column(gettext_lazy("地址"), "address", parser=xlsx.text(200), width=36),
        xlsx.Column(gettext_lazy("联系人"), "contact_person", parser=xlsx.text(50)),
        xlsx.Column(gettext_lazy("联系电话"), "contact_phone", **PHONE, help_text=_phone_help),
        xlsx.Column(gettext_lazy("24 小时服务热线"), "hotline", **PHONE, help_text=_phone_help),
        xlsx.Column(gettext_lazy("投诉电话"), "complaint_phone", **PHONE, help_text=_phone_help),
        xlsx.Column(gettext_lazy("电子邮箱"), "email", parser=xlsx.text(254), width=24),
        xlsx.Column(gettext_lazy("在册"), "is_active", parser=xlsx.parse_bool, choices=xlsx.YES_NO, default=True,
                    help_text=gettext_lazy("留空视为“是”。")),
    ],
)

ESTATE_SPEC = xlsx.ImportSpec(
    title=gettext_lazy("住宅小区"),
    columns=[
        xlsx.Column(gettext_lazy("小区编码"), "code", required=True, **ESTATE_CODE, example="HS00001",
                    help_text=gettext_lazy("字母、数字和连字符，2–32 位；按此编码更新已有小区，新编码则新增。")),
        xlsx.Column(gettext_lazy("小区名称"), "name", required=True, parser=xlsx.text(100), width=24,
                    example="月湖花园"),
        xlsx.Column(gettext_lazy("地址"), "address", parser=xlsx.text(200), width=36),
        xlsx.Column(gettext_lazy("所属区"), "district", required=True, parser=xlsx.text(100), example="海曙区",
                    help_text=gettext_lazy("县（市）区主管部门的全称或简称。")),
        xlsx.Column(gettext_lazy("所属街道"), "street", required=True, parser=xlsx.text(100), example="月湖街道",
                    help_text=gettext_lazy("街道（乡镇）的全称或简称，须属于所填的区。")),
        xlsx.Column(gettext_lazy("所属社区"), "community", parser=xlsx.text(100), example="月湖社区",
                    help_text=gettext_lazy("社区居委会的全称或简称，须属于所填的街道。")),
        xlsx.Column(gettext_lazy("物业企业信用代码"), "firm", **CREDIT_CODE, width=24,
                    example="91330200MA0000001N",
                    help_text=gettext_lazy("在管物业服务企业的统一社会信用代码；企业须已登记。留空表示无物业企业。")),
        xlsx.Column(gettext_lazy("小区类别"), "category", required=True, parser=_parse_category,
                    choices=CATEGORY_LABELS, example="二类"),
        xlsx.Column(gettext_lazy("建成年份"), "year_built", parser=_parse_year, default=None, example="1995",
                    help_text=gettext_lazy("四位年份；1999 年前建成的为老小区（自动判断）。")),
        xlsx.Column(gettext_lazy("户数"), "households", required=True, parser=xlsx.integer(0, 1_000_000),
                    example="500"),
        xlsx.Column(gettext_lazy("建筑面积（平方米）"), "floor_area", parser=xlsx.decimal(12, 2), default=None,
                    example="45000"),
        xlsx.Column(gettext_lazy("已成立业主委员会"), "has_owners_committee", parser=xlsx.parse_bool,
                    choices=xlsx.YES_NO, default=False, help_text=gettext_lazy("留空视为“否”。")),
        xlsx.Column(gettext_lazy("服务中心电话"), "hotline", **PHONE,
                    help_text=gettext_lazy("留空则使用企业的服务热线。")),
        xlsx.Column(gettext_lazy("投诉电话"), "complaint_phone", **PHONE,
                    help_text=gettext_lazy("留空则使用企业的投诉电话。")),
        xlsx.Column(gettext_lazy("在册"), "is_active", parser=xlsx.parse_bool, choices=xlsx.YES_NO, default=True,
                    help_text=gettext_lazy("留空视为“是”。")),
    ],
)


def _chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _key(name):
    return normalize_text(name).replace(" ", "")


class _AgencyIndex:
    """Every district, street and community of the user's city, by full and short name."""

    def __init__(self, user):
        qs = Agency.objects.exclude(level=Agency.Level.CITY).only(
            "pk", "name", "short_name", "level", "parent_id", "path"
        )
        root = self._city_path(user)
        if root:
            qs = qs.filter(path__startswith=root)
        self.by_pk = {}
        self.districts = {}        # name -> [district]
        self.children = {}         # (parent_pk, name) -> [agency]
        self.anywhere = {}         # (level, name) -> [agency]
        for agency in qs:
            self.by_pk[agency.pk] = agency
            for name in {_key(agency.name), _key(agency.short_name)} - {""}:
                if agency.level == Agency.Level.DISTRICT:
                    self.districts.setdefault(name, []).append(agency)
                else:
                    self.children.setdefault((agency.parent_id, name), []).append(agency)
                    self.anywhere.setdefault((agency.level, name), []).append(agency)
        visible = scoping.restrict(Agency.objects.all(), user, **scoping.AGENCY_LINKS)
        self.visible = None if scoping.sees_everything(user) else set(visible.values_list("pk", flat=True))
        # The agencies above the user's own: a street officer files a firm under their district,
        # as the admin form allows (ScopedAdmin.ancestor_choice_fields).
        self.ancestors = set(Agency.objects.filter(scoping.agency_ancestors_q(user)).values_list("pk", flat=True))

    @staticmethod
    def _city_path(user):
        if user is None or scoping.sees_everything(user) or not user.agency_id:
            return ""
        return user.agency.path.split("/", 1)[0] + "/"

    def is_visible(self, *pks):
        return self.visible is None or any(pk in self.visible for pk in pks if pk)

    def district(self, row, key):
        name = row.values.get(key)
        found = self.districts.get(_key(name), [])
        if len(found) == 1:
            return found[0]
        if found:
            row.error(key, _("“%(name)s”对应多个区，请填写全称。") % {"name": name})
        else:
            row.error(key, _("找不到名为“%(name)s”的区（县、市）。") % {"name": name})
        return None

    def child(self, row, key, parent, level, level_label):
        name = row.values.get(key)
        found = self.children.get((parent.pk, _key(name)), [])
        if len(found) == 1:
            return found[0]
        if found:
            row.error(key, _("%(parent)s下有多个名为“%(name)s”的%(level)s，请填写全称。")
                      % {"parent": parent.display_name, "name": name, "level": level_label})
        elif self.anywhere.get((level, _key(name))):
            row.error(key, _("%(level)s“%(name)s”不属于%(parent)s。")
                      % {"level": level_label, "name": name, "parent": parent.display_name})
        else:
            row.error(key, _("找不到名为“%(name)s”的%(level)s。") % {"name": name, "level": level_label})
        return None


class _RegistryImporter(xlsx.Importer):
    model = None
    unique_key = None          # column key of the upsert key
    unique_field = None        # model field of the upsert key
    fk_keys = {}               # column key -> model field, for FK columns resolved in validate

    def __init__(self, *, user):
        super().__init__(user=user)
        self.duplicates = {}
        self.to_create = []
        self.to_update = []
        self.changed_fields = set()
        self.moved = []
        self.unchanged = 0

    def _find_duplicates(self, rows):
        """{key value: [row numbers]} of keys that occur on more than one row: every one of
        those rows is marked, so the user sees both sides of the clash (not just the later one)."""
        numbers = {}
        for row in rows:
            value = row.values.get(self.unique_key)
            if value is not None:
                numbers.setdefault(value, []).append(row.number)
        self.duplicates = {value: found for value, found in numbers.items() if len(found) > 1}

    def _check_duplicate(self, row):
        value = row.values.get(self.unique_key)
        others = [n for n in self.duplicates.get(value, ()) if n != row.number]
        if others:
            rows = join_list(others)
            row.error(self.unique_key, _("“%(value)s”与第 %(row)s 行重复。") % {"value": value, "row": rows})

    def _apply(self, row, instance, resolved):
        """Set the row's values on ``instance``, validate it like a form would, and file it
        as created, updated or unchanged."""
        creating = instance.pk is None
        fields = [c.key for c in self.spec.columns if self.has_column(c.key) and c.key not in self.fk_keys]
        before = {} if creating else {f.attname: getattr(instance, f.attname) for f in self.model._meta.concrete_fields}
        for key in fields:
            setattr(instance, key, row.values[key])
        for field_name, value in resolved.items():
            setattr(instance, field_name, value)
        try:
            # Foreign keys are resolved from preloaded dicts above; validating them again
            # (and uniqueness, checked against the preloaded rows) would query per row.
            instance.full_clean(exclude=list(self.fk_keys.values()), validate_unique=False,
                                validate_constraints=False)
        except ValidationError as exc:
            columns = {field: key for key, field in self.fk_keys.items()}
            for field_name, messages in exc.message_dict.items():
                key = None if field_name == NON_FIELD_ERRORS else columns.get(field_name, field_name)
                if key is not None and not any(c.key == key for c in self.spec.columns):
                    key = None
                row.error(key, join_messages(messages))
            return
        if creating:
            self.to_create.append(instance)
            return
        changed = {
            f.name for f in self.model._meta.concrete_fields if getattr(instance, f.attname) != before[f.attname]
        }
        if changed:
            self.to_update.append(instance)
            self.changed_fields |= changed
            if changed & set(self.moving_fields):
                self.moved.append(instance)
        else:
            self.unchanged += 1

    #: fields whose change moves a row (``moved`` of estates.signals.registry_imported)
    moving_fields = ()

    def save(self, rows):
        reason = str(CHANGE_REASON)
        if self.to_create:
            bulk_create_with_history(self.to_create, self.model, batch_size=BATCH, default_user=self.user,
                                     default_change_reason=reason)
        if self.to_update:
            bulk_update_with_history(self.to_update, self.model, sorted(self.changed_fields), batch_size=BATCH,
                                     default_user=self.user, default_change_reason=reason)
        if self.to_create or self.to_update:
            # Bulk writes send no post_save: announce the import once (estates/signals.py), inside its
            # transaction, so what follows the registry (campaigns' obligations) is all or nothing with it.
            signals.registry_imported.send(sender=self.model, created=self.to_create, updated=self.to_update,
                                           moved=self.moved)
        return xlsx.ImportCounts(created=len(self.to_create), updated=len(self.to_update), unchanged=self.unchanged)


class FirmImporter(_RegistryImporter):
    """Upsert property firms by unified social credit code."""

    spec = FIRM_SPEC
    model = PropertyFirm
    marked_name = gettext_lazy("物业企业导入错误标注")
    unique_key = "credit_code"
    unique_field = "credit_code"
    fk_keys = {"district": "district"}
    moving_fields = ("district",)

    def prepare(self, rows):
        self.agencies = _AgencyIndex(self.user)
        self._find_duplicates(rows)
        codes = {r.values["credit_code"] for r in rows if r.values.get("credit_code")}
        self.existing, self.visible_existing = {}, set()
        for chunk in _chunks(codes):
            for firm in PropertyFirm.objects.filter(credit_code__in=chunk):
                self.existing[firm.credit_code] = firm
            visible = scoping.restrict(PropertyFirm.objects.filter(credit_code__in=chunk), self.user,
                                       **scoping.FIRM_LINKS)
            self.visible_existing.update(visible.values_list("pk", flat=True))

    def validate(self, row):
        self._check_duplicate(row)
        district = self.agencies.district(row, "district") if row.values.get("district") else None
        if district is not None and not (self.agencies.is_visible(district.pk)
                                         or district.pk in self.agencies.ancestors):
            row.error("district", _("您只能导入本辖区监管的企业，“%(name)s”不在您的管辖范围内。")
                      % {"name": district.display_name})
        firm = self.existing.get(row.values.get("credit_code"))
        if firm is not None and firm.pk not in self.visible_existing:
            row.error("credit_code", _("该统一社会信用代码已登记为辖区外的企业，您不能修改。"))
        if not row.ok:
            return
        self._apply(row, firm or PropertyFirm(), {"district": district})


class EstateImporter(_RegistryImporter):
    """Upsert estates by estate code."""

    spec = ESTATE_SPEC
    model = Estate
    marked_name = gettext_lazy("小区导入错误标注")
    unique_key = "code"
    unique_field = "code"
    fk_keys = {"district": "district", "street": "street", "community": "community", "firm": "firm"}
    moving_fields = ("district", "street")

    def prepare(self, rows):
        self.agencies = _AgencyIndex(self.user)
        self._find_duplicates(rows)
        codes = {r.values["code"] for r in rows if r.values.get("code")}
        self.existing = {}
        for chunk in _chunks(codes):
            for estate in Estate.objects.filter(code__in=chunk):
                self.existing[estate.code] = estate
        credit_codes = {r.values["firm"] for r in rows if r.values.get("firm")}
        self.firms = {}
        for chunk in _chunks(credit_codes):
            for firm in PropertyFirm.objects.filter(credit_code__in=chunk).only("pk", "credit_code", "name"):
                self.firms[firm.credit_code] = firm

    def validate(self, row):
        self._check_duplicate(row)
        values = row.values
        district = street = community = firm = None
        if values.get("district"):
            district = self.agencies.district(row, "district")
        if district is not None and values.get("street"):
            street = self.agencies.child(row, "street", district, Agency.Level.STREET, STREET_LABEL)
        if street is not None and values.get("community"):
            community = self.agencies.child(row, "community", street, Agency.Level.COMMUNITY, COMMUNITY_LABEL)
        if values.get("firm"):
            firm = self.firms.get(values["firm"])
            if firm is None:
                row.error("firm", _("统一社会信用代码为 %(code)s 的物业服务企业尚未登记，请先导入企业。")
                          % {"code": values["firm"]})
        if street is not None and not self.agencies.is_visible(district.pk, street.pk,
                                                               community.pk if community else None):
            row.error("district", _("您只能导入本辖区的小区，“%(name)s”不在您的管辖范围内。")
                      % {"name": f"{district.display_name}／{street.display_name}"})
        estate = self.existing.get(values.get("code"))
        if estate is not None and not self.agencies.is_visible(estate.district_id, estate.street_id,
                                                               estate.community_id):
            row.error("code", _("小区编码“%(code)s”已被辖区外的小区使用，您不能修改。") % {"code": estate.code})
        if not row.ok:
            return
        resolved = {"district": district, "street": street}
        if self.has_column("community"):
            resolved["community"] = community
        if self.has_column("firm"):
            resolved["firm"] = firm
        self._apply(row, estate or Estate(), resolved)


def import_firms(*, user, upload):
    """Import a firms workbook for ``user``; returns core.xlsx.ImportResult (raises UploadRefused)."""
    return FirmImporter(user=user).run(upload)


def import_estates(*, user, upload):
    """Import an estates workbook for ``user``; returns core.xlsx.ImportResult (raises UploadRefused)."""
    return EstateImporter(user=user).run(upload)
