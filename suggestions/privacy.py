"""Residents' personal data: mobiles normalised and masked, senders' addresses hashed.

A mobile is shown in full only to the users of the firm handling the entry (and to nobody once
the retention job has erased it); everyone else — bureau staff, other firms, exports, the API —
sees ``138****5678``. The sender's IP address is never stored: a keyed hash of it
(``client_hash``) is enough to count submissions for the rate limits.
"""

import functools
import hashlib
import hmac

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalize_mobile(value):
    """'+86 138-0013-8000' -> '13800138000'; '' stays ''; anything else raises ValidationError."""
    value = (value or "").strip()
    if not value:
        return ""
    national = _national_mobile(value) if len(value) <= 250 else None  # phonenumbers' own limit of an input
    if national is None:
        raise ValidationError(_("请输入正确的手机号码（11 位）。"), code="invalid")
    return national


@functools.lru_cache(maxsize=1024)
def _national_mobile(value):
    """The national number of a valid Chinese mobile, else None (a submission asks three times: the limits, the
    form, the service; phonenumbers' parse is the costly part)."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if (number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)):
        return None
    return str(number.national_number)


def mask_mobile(value):
    """'13800138000' -> '138****8000'."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def is_handler(user, suggestion):
    """Whether ``user`` works for the firm handling ``suggestion`` (the only ones who see the full mobile)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.firm_id
                and suggestion.firm_id == user.firm_id)


def mobile_for(user, suggestion):
    return suggestion.mobile if is_handler(user, suggestion) else mask_mobile(suggestion.mobile)


def text_for(user, suggestion):
    """The handler reads the resident's own words; everybody else the redacted text when there is one."""
    return suggestion.text if is_handler(user, suggestion) else suggestion.public_text


def client_hash(address):
    """A keyed hash of the sender's address (never stored as such)."""
    if not address:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"suggestions-client:{address}".encode(), hashlib.sha256).hexdigest()
