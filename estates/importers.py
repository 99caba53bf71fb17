"""Excel import of the registry: property firms (upsert by credit code) and estates
(upsert by estate code), built on core/xlsx.py.

The importers stream (core/xlsx ``Importer.streaming``): rows are read, parsed and checked a
batch of 1,000 at a time, then dropped. Lookups (agencies and the user's visible agencies once;
firms and the batch's existing rows per batch) are preloaded into dicts in ``prepare``, a few
queries a batch; rows are checked in Python, against the model as ``full_clean`` would (the
validators a column's parser already ran on the value are not run twice: ``PARSER_VALIDATORS``);
a valid row is kept as the tuple of its field values. Repeated codes are marked on every row
that has them once the last row was read (``finish``). Once every row passed, the save is a few
bulk statements a batch of 500 with history rows (django-simple-history's bulk helpers) carrying
the importing user, all in the one transaction. Memory: about 1 KB a row (the tuples), not the
4–5 KB of a row kept as Row, dicts and model instance; the error path keeps no tuples.

Scoping follows estates/scoping.py: a row is importable when one of its agencies
(district, street, community; a firm's supervising district) is visible to the user,
and an existing row is updatable when it is visible to the user — the same rule as the
admin's change form. Rows outside the scope are errors, never silently skipped.
"""

import datetime
import functools
import re
from collections.abc import Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core import xlsx
from core.text import join_list, join_messages
from core.validators import normalize_credit_code, normalize_text, validate_cn_phone, validate_credit_code

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


_CHOICES = {
    "grade": (GRADE_LABELS, (("一级", 1), ("二级", 2), ("三级", 3), ("一级资质", 1), ("二级资质", 2), ("三级资质", 3),
                             ("1", 1), ("2", 2), ("3", 3))),
    "category": (CATEGORY_LABELS, (("一类", 1), ("二类", 2), ("三类", 3), ("1", 1), ("2", 2), ("3", 3))),
}


@functools.cache
def _choice_parser(kind, language):
    # One parser per interface language (the cache key: a key of lazy labels would translate them on
    # every lookup); xlsx.choice matches the labels in every language, so a Chinese template uploaded
    # from the English interface works. The lazy labels go in first: an equal plain string in `extra`
    # must not replace the lazy key, or the label's other languages would be lost.
    labels, extra = _CHOICES[kind]
    return xlsx.choice({**{label: i for i, label in enumerate(labels, start=1)}, **dict(extra)})


def _parse_grade(value):
    return _choice_parser("grade", translation.get_language())(value)


def _parse_category(value):
    return _choice_parser("category", translation.get_language())(value)


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
    return _year_parser(timezone.localdate().year)(value)


@functools.cache
def _year_parser(this_year):
    return xlsx.integer(1900, this_year)


_phone_help = gettext_lazy("手机或固定电话，如 0574-87000000。")
# Codes and phone numbers are formatted as text in the template (no lost zeros, no rounding).
PHONE = {"parser": xlsx.parse_phone, "as_text_cells": True}
CREDIT_CODE = {"parser": _parse_credit_code, "as_text_cells": True}
ESTATE_CODE = {"parser": _parse_estate_code, "as_text_cells": True}
#: a column parser -> the model field validators it runs on the very value it returns: the import's
#: model check (_RegistryImporter._full_clean) does not run them a second time
PARSER_VALIDATORS = {
    xlsx.parse_phone: (validate_cn_phone,),
    _parse_credit_code: (validate_credit_code,),
    _parse_estate_code: (estate_code_validator,),
}

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


class _Saved(Sequence):
    """The instances an import saved, built again from its compact records when read: the signal
    carries every created and updated row without 20,000 model instances sitting in memory (its
    receiver reads ``moved``, mostly empty)."""

    def __init__(self, model, records):
        self.model, self.records = model, records

    def __len__(self):
        return len(self.records)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        instance = self.model(*self.records[index])
        instance._state.adding, instance._state.db = False, DEFAULT_DB_ALIAS
        return instance


class _RegistryImporter(xlsx.Importer):
    """Upsert rows of ``model`` by ``unique_field``, streaming (core/xlsx ``Importer.streaming``): each
    batch of rows is checked against what ``prepare`` loaded for it, and a valid row is kept as the tuple
    of its model's field values (a few hundred bytes), saved in batches once every row passed."""

    streaming = True
    model = None
    unique_key = None          # column key of the upsert key
    unique_field = None        # model field of the upsert key
    fk_keys = {}               # column key -> model field, for FK columns resolved in validate
    #: fields whose change moves a row (``moved`` of estates.signals.registry_imported)
    moving_fields = ()
    #: rows made into model instances and written at a time
    save_batch = BATCH

    def __init__(self, *, user):
        super().__init__(user=user)
        self.agencies = None
        self._numbers = {}         # upsert key -> its first row, or the list of its rows when repeated
        self._clean_errors = {}    # row number -> the model validation's errors on it
        self._created = []         # records (tuples of field values) to create
        self._updated = []         # records to update
        self._moved = []           # indexes in _updated of the rows whose location changed
        self.changed_fields = set()
        self.unchanged = 0
        opts = self.model._meta
        self._attnames = [f.attname for f in opts.concrete_fields]
        self._names = [f.name for f in opts.concrete_fields]
        excluded = set(self.fk_keys.values())
        self._checked_fields = [f for f in opts.fields if f.name not in excluded and not f.generated]
        self._moving = {self._names.index(name) for name in self.moving_fields}

    def prepare(self, rows):
        if self.agencies is None:
            self.agencies = _AgencyIndex(self.user)
            # The fields set from the sheet (not foreign keys), and for each the validators its
            # column's parser already ran on the very value: the model's check need not run them again.
            self._from_file = [c.key for c in self.spec.columns if self.has_column(c.key) and c.key not in self.fk_keys]
            self._prechecked = {
                c.key: PARSER_VALIDATORS[c.parser] for c in self.spec.columns
                if c.key in self._from_file and c.parser in PARSER_VALIDATORS
            }

    def _check_duplicate(self, row):
        """Record the row's key; True when an earlier row has it. Every row of a repeated key is marked
        in ``finish`` (the user sees both sides of the clash, not just the later one)."""
        value = row.values.get(self.unique_key)
        if value is None:
            return False
        seen = self._numbers.get(value)
        if seen is None:
            self._numbers[value] = row.number
            return False
        if isinstance(seen, int):
            self._numbers[value] = seen = [seen]
        seen.append(row.number)
        return True

    def finish(self):
        dropped = set()
        for value, numbers in self._numbers.items():
            if isinstance(numbers, int):
                continue
            for number in numbers:
                # A repeated row is not checked against the model (as its first occurrence was,
                # before the repeat was known): its model errors are not reported.
                dropped.update(self._clean_errors.get(number, ()))
                others = join_list(n for n in numbers if n != number)
                self.error_at(number, self.unique_key, _("“%(value)s”与第 %(row)s 行重复。")
                              % {"value": value, "row": others}, first=True)
        if dropped:
            self._errors = [e for e in self._errors if e not in dropped]
        self._numbers = self._clean_errors = {}

    def _full_clean(self, instance):
        """``instance.full_clean()`` without the foreign keys (resolved from the preloaded dicts), uniqueness
        (checked against the preloaded rows) and the validators the column parsers already ran on the same
        value: the same errors at a fraction of the cost (a phone number is checked once, not twice)."""
        errors = {}
        prechecked = self._prechecked
        for f in self._checked_fields:
            raw = getattr(instance, f.attname)
            if f.blank and raw in f.empty_values:
                continue
            try:
                skip = prechecked.get(f.name)
                if skip is None:
                    value = f.clean(raw, instance)
                else:
                    value = f.to_python(raw)
                    f.validate(value, instance)
                    _run_validators(f, value, skip)
                setattr(instance, f.attname, value)
            except ValidationError as exc:
                errors[f.name] = exc.error_list
        try:
            instance.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _apply(self, row, instance, resolved):
        """Set the row's values on ``instance``, validate it like a form would, and file it
        as created, updated or unchanged (a record of its field values, not the instance)."""
        creating = instance.pk is None
        attnames = self._attnames
        before = None if creating else tuple([getattr(instance, a) for a in attnames])
        values = row.values
        for key in self._from_file:
            setattr(instance, key, values[key])
        for field_name, value in resolved.items():
            setattr(instance, field_name, value)
        try:
            self._full_clean(instance)
        except ValidationError as exc:
            columns = {field: key for key, field in self.fk_keys.items()}
            keys = {c.key for c in self.spec.columns}
            errors = self._clean_errors.setdefault(row.number, [])
            for field_name, messages in exc.message_dict.items():
                key = None if field_name == NON_FIELD_ERRORS else columns.get(field_name, field_name)
                if key is not None and key not in keys:
                    key = None
                row.error(key, join_messages(messages))
                errors.append(row.errors[-1])
            return
        record = tuple([getattr(instance, a) for a in attnames])
        if creating:
            if not self._errors:  # once a row is wrong nothing is saved: keep nothing more
                self._created.append(record)
            return
        changed = [i for i, (new, old) in enumerate(zip(record, before, strict=True)) if new != old]
        if not changed:
            self.unchanged += 1
            return
        self.changed_fields.update(self._names[i] for i in changed)
        if not self._errors:
            if self._moving.intersection(changed):
                self._moved.append(len(self._updated))
            self._updated.append(record)

    def _add_error(self, row, key, message):
        if not self._errors:
            self._created = []
            self._updated = []
            self._moved = []
        super()._add_error(row, key, message)

    def save(self, rows):
        reason, now = str(CHANGE_REASON), timezone.now()  # one moment for the import's history rows
        attnames, start = self._attnames, 0
        for chunk in _chunks(self._created, self.save_batch):
            objs = [self.model(*record) for record in chunk]
            bulk_create_with_history(objs, self.model, batch_size=BATCH, default_user=self.user,
                                     default_change_reason=reason, default_date=now)
            # The records take what the database gave the rows (primary key, creation time).
            self._created[start:start + len(objs)] = [tuple([getattr(obj, a) for a in attnames]) for obj in objs]
            start += len(objs)
        changed_fields = sorted(self.changed_fields)
        for chunk in _chunks(self._updated, self.save_batch):
            objs = _Saved(self.model, chunk)[:]
            bulk_update_with_history(objs, self.model, changed_fields, batch_size=BATCH,
                                     default_user=self.user, default_change_reason=reason, default_date=now)
        created, updated = _Saved(self.model, self._created), _Saved(self.model, self._updated)
        if created or updated:
            # Bulk writes send no post_save: announce the import once (estates/signals.py), inside its
            # transaction, so what follows the registry (campaigns' obligations) is all or nothing with it.
            moved = _Saved(self.model, [self._updated[i] for i in self._moved])
            signals.registry_imported.send(sender=self.model, created=created, updated=updated, moved=moved)
        return xlsx.ImportCounts(created=len(created), updated=len(updated), unchanged=self.unchanged)


def _run_validators(field, value, skip):
    """``field.run_validators(value)`` but for the validators in ``skip``."""
    if value in field.empty_values:
        return
    errors = []
    for validator in field.validators:
        if validator in skip:
            continue
        try:
            validator(value)
        except ValidationError as exc:
            if hasattr(exc, "code") and exc.code in field.error_messages:
                exc.message = field.error_messages[exc.code]
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


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
        super().prepare(rows)
        codes = {r.values["credit_code"] for r in rows if r.values.get("credit_code")}
        self.existing = {firm.credit_code: firm for firm in PropertyFirm.objects.filter(credit_code__in=codes)}
        visible = scoping.restrict(PropertyFirm.objects.filter(credit_code__in=codes), self.user,
                                   **scoping.FIRM_LINKS)
        self.visible_existing = set(visible.values_list("pk", flat=True))

    def validate(self, row):
        duplicate = self._check_duplicate(row)
        district = self.agencies.district(row, "district") if row.values.get("district") else None
        if district is not None and not (self.agencies.is_visible(district.pk)
                                         or district.pk in self.agencies.ancestors):
            row.error("district", _("您只能导入本辖区监管的企业，“%(name)s”不在您的管辖范围内。")
                      % {"name": district.display_name})
        firm = self.existing.get(row.values.get("credit_code"))
        if firm is not None and firm.pk not in self.visible_existing:
            row.error("credit_code", _("该统一社会信用代码已登记为辖区外的企业，您不能修改。"))
        if duplicate or not row.ok:
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

    def __init__(self, *, user):
        super().__init__(user=user)
        self.firms = {}  # credit code -> firm (None: not registered), kept across batches

    def prepare(self, rows):
        super().prepare(rows)
        codes = {r.values["code"] for r in rows if r.values.get("code")}
        self.existing = {estate.code: estate for estate in Estate.objects.filter(code__in=codes)}
        credit_codes = {r.values["firm"] for r in rows if r.values.get("firm")} - self.firms.keys()
        if credit_codes:
            self.firms.update(dict.fromkeys(credit_codes))
            for firm in PropertyFirm.objects.filter(credit_code__in=credit_codes).only("pk", "credit_code", "name"):
                self.firms[firm.credit_code] = firm

    def validate(self, row):
        duplicate = self._check_duplicate(row)
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
        if duplicate or not row.ok:
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
