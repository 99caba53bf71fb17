"""Validators and normalisers for Chinese registry data.

Credit codes are checked by python-stdnum (`stdnum.cn.uscc`, GB 32100-2015 check
character); phone numbers by phonenumbers (libphonenumber's Chinese metadata).
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc


def normalize_text(value):
    """Fold full-width digits, letters and punctuation (０１２, ＡＢ, －) to ASCII and trim."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_credit_code(value):
    return uscc.compact(normalize_text(value)).upper()


def validate_credit_code(value):
    """Raise ValidationError unless value is a valid 18-character unified social credit code."""
    code = normalize_credit_code(value)
    try:
        uscc.validate(code)
    except stdnum_exceptions.InvalidLength:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(n)s 位。"), code="credit_code_length", params={"n": len(code)}
        )
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位错误，请核对。"), code="credit_code_checksum")
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="credit_code_format")


_SHORT_SERVICE_NUMBER = re.compile(r"^\d{3,6}$")  # 110, 12345, 96345 and similar public hotlines
_LOCAL_NUMBER = re.compile(r"^[2-9]\d{6,7}$")  # a landline without its area code
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9-]+$")


def normalize_phone(value):
    value = normalize_text(value)
    return re.sub(r"[\s()（）]", "", value)


def validate_cn_phone(value):
    """Accept Chinese mobile and landline numbers (with or without area code and dashes),
    400/800 numbers and short public service numbers. Digits only: a number printed on a
    notice must be dialable as written, so letters (vanity numbers) and extensions are refused."""
    value = normalize_phone(value)
    if not value:
        return
    if not _PHONE_CHARACTERS.match(value):
        raise ValidationError(
            _("电话号码“%(value)s”含有数字以外的字符，请只填写数字和“-”。"), code="phone", params={"value": value}
        )
    digits = value.replace("-", "")
    if _SHORT_SERVICE_NUMBER.match(digits) or _LOCAL_NUMBER.match(digits):
        return
    if re.match(r"^[48]00\d{7}$", digits):
        return
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("电话号码“%(value)s”无法识别。"), code="phone", params={"value": value})
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("电话号码“%(value)s”位数不正确。"), code="phone", params={"value": value})
