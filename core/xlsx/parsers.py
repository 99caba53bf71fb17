"""Cell parsers: a non-empty cell in, the Python value out or a ValidationError with a message for
the user. Structured values fold full-width input (NFKC); free text folds only letters, digits and spaces."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.text import join_list
from core.validators import normalize_phone, normalize_text, validate_cn_phone
from core.xlsx.cells import YES_NO
from core.xlsx.spec import in_all_languages


def as_text(value):
    """The text of a cell as a user would read it: integral floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return normalize_text(value)


_FULL_WIDTH_ALNUM = {
    **{0xFF10 + i: 0x30 + i for i in range(10)},   # ０-９
    **{0xFF21 + i: 0x41 + i for i in range(26)},   # Ａ-Ｚ
    **{0xFF41 + i: 0x61 + i for i in range(26)},   # ａ-ｚ
    0x3000: 0x20,                                  # ideographic space
}


def fold_text(value):
    """Fold full-width digits, letters and spaces to ASCII but keep Chinese punctuation
    (（）：、) as typed: names and addresses stay as the user wrote them, so a workbook
    exported and imported again compares equal to what is stored."""
    return str(value).translate(_FULL_WIDTH_ALNUM).strip() if value is not None else ""


def text(max_length=None, upper=False):
    """Free text (names, addresses): full-width letters and digits folded, punctuation kept."""

    def parse(value):
        result = value if isinstance(value, str) else as_text(value)
        result = fold_text(result)
        if upper:
            result = result.upper()
        if max_length and len(result) > max_length:
            raise ValidationError(_("不能超过 %(n)s 个字符（当前 %(m)s 个）。") % {"n": max_length, "m": len(result)})
        return result

    return parse


def integer(min_value=None, max_value=None):
    def parse(value):
        if isinstance(value, bool):
            raise ValidationError(_("应为整数。"))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                raise ValidationError(_("应为整数，不能有小数。"))
            number = int(value)
        else:
            raw = as_text(value).replace(",", "")
            try:
                number = int(raw)
            except ValueError:
                raise ValidationError(_("“%(value)s”不是整数。") % {"value": as_text(value)}) from None
        if min_value is not None and number < min_value:
            raise ValidationError(_("不能小于 %(n)s。") % {"n": min_value})
        if max_value is not None and number > max_value:
            raise ValidationError(_("不能大于 %(n)s。") % {"n": max_value})
        return number

    return parse


def decimal(max_digits=12, decimal_places=2, min_value=0):
    def parse(value):
        if isinstance(value, bool):
            raise ValidationError(_("应为数字。"))
        raw = str(value) if isinstance(value, (int, float)) else as_text(value).replace(",", "")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("“%(value)s”不是数字。") % {"value": as_text(value)}) from None
        if not number.is_finite():
            raise ValidationError(_("“%(value)s”不是数字。") % {"value": as_text(value)})
        number = number.quantize(Decimal(1).scaleb(-decimal_places))
        if min_value is not None and number < min_value:
            raise ValidationError(_("不能小于 %(n)s。") % {"n": min_value})
        if len(number.as_tuple().digits) > max_digits:
            raise ValidationError(_("数值过大。"))
        return number

    return parse


_TRUE = {"是", "有", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×"}


@functools.cache
def _yes_no_texts():
    return tuple(frozenset(t.lower() for t in in_all_languages(label)) for label in YES_NO)


def parse_bool(value):
    if isinstance(value, bool):
        return value
    raw = as_text(value).lower()
    yes, no = _yes_no_texts()
    if raw in _TRUE or raw in yes:
        return True
    if raw in _FALSE or raw in no:
        return False
    raise ValidationError(_("请填写“是”或“否”。"))


def choice(mapping):
    """Parser for a label → value mapping (labels matched after normalisation)."""
    normalised = {
        normalize_text(text_).lower(): val for label, val in mapping.items() for text_ in in_all_languages(label)
    }

    def parse(value):
        raw = as_text(value).lower()
        if raw in normalised:
            return normalised[raw]
        # Labels and separator in the language of the upload's request, not of import time.
        labels = join_list(dict.fromkeys(str(label) for label in mapping))
        raise ValidationError(_("“%(value)s”无效，可选：%(labels)s。") % {"value": as_text(value), "labels": labels})

    return parse


def parse_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = as_text(value).replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s”不是有效日期，请填写如 2011-07-22。") % {"value": as_text(value)})


def parse_phone(value):
    phone = normalize_phone(as_text(value))
    validate_cn_phone(phone)
    return phone
