"""Writes of the hotline API (12345, Open311 GeoReport v2 in shape): clients and their tokens, and
a hotline request filed into the same inbox as the residents' own entries.

A client (:class:`~suggestions.models.ApiClient`) belongs to one district and may file and read entries
of that district's estates only. Its token is shown once, when issued; only its SHA-256 is stored, so a
leaked database holds no usable token. Authentication looks the hash up (a unique index) and compares
it again with ``hmac.compare_digest``: the time taken says nothing about how much of a token was right.

A hotline request becomes an entry through :func:`suggestions.services.suggestion_submit` with
``source=hotline`` and the hotline's own ticket number as ``external_id``: the same deadlines, messages
and statistics as an entry from the public form. Posting the same ticket number again returns the
entry already filed (idempotent), never a second one.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Agency, Estate

from . import services
from .models import Category, Suggestion
from .privacy import normalize_mobile

NAME_MAX = 50
EXTERNAL_ID_MAX = 64
# How often a client's "last used" time is written at most (not one write per request).
LAST_USED_EVERY = timedelta(minutes=1)


class NotAuthenticated(Exception):
    """No token, or one that matches no client (401)."""


class Conflict(Exception):
    """The ticket number was filed by another district's client (409); says nothing of that entry."""


class EstateNotFound(Exception):
    """No active estate of that code in the client's district (404)."""


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_token():
    return secrets.token_urlsafe(32)  # 256 random bits, 43 characters


def api_client_issue(*, district, name):
    """A new client of ``district``; returns ``(client, token)``. The token is not kept anywhere."""
    from .models import ApiClient

    if district.level != Agency.Level.DISTRICT:
        raise ValidationError({"district": _("热线平台接口只能属于一个区。")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    token = _new_token()
    client = ApiClient(district=district, name=name[:100], token_hash=token_hash(token), token_prefix=token[:8])
    client.full_clean(exclude=["token_hash", "token_prefix"])
    client.save()
    return client, token


def api_client_rotate(*, client):
    """A new token for ``client`` (the old one stops working at once); returns the token."""
    token = _new_token()
    client.token_hash, client.token_prefix = token_hash(token), token[:8]
    client.save(update_fields=["token_hash", "token_prefix"])
    return token


def api_client_deactivate(*, client):
    client.is_active = False
    client.save(update_fields=["is_active"])
    return client


def api_client_authenticate(token, *, now=None):
    """The active client of ``token``. Raises NotAuthenticated (no such token) or PermissionDenied (deactivated)."""
    from .models import ApiClient

    if not token or len(token) > 200:
        raise NotAuthenticated
    digest = token_hash(token)
    client = ApiClient.objects.select_related("district").filter(token_hash=digest).first()
    if client is None or not hmac.compare_digest(client.token_hash, digest):
        raise NotAuthenticated
    if not client.is_active:
        raise PermissionDenied(_("该访问令牌已停用。"))
    now = now or timezone.now()
    if client.last_used_at is None or client.last_used_at < now - LAST_USED_EVERY:
        # A conditional update: concurrent requests of one client write it once a minute at most.
        ApiClient.objects.filter(pk=client.pk, last_used_at=client.last_used_at).update(last_used_at=now)
        client.last_used_at = now
    return client


# --- a hotline request ----------------------------------------------------------------------------

FIELDS = ("service_code", "description", "address_id", "external_id", "first_name", "last_name", "phone")


def _text(data, field, errors, *, limit=None):
    """The field as a stripped string ('' when absent or null); a wrong type, a NUL or an unpaired
    surrogate (neither fits in PostgreSQL's text) is an error of the field."""
    value = data.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        errors[field] = _("%(field)s 必须是文字。") % {"field": field}
        return ""
    value = str(value).strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        errors[field] = _("%(field)s 含有无法识别的字符。") % {"field": field}
        return ""
    if "\x00" in value:
        errors[field] = _("%(field)s 含有无法识别的字符。") % {"field": field}
        return ""
    if limit is not None and len(value) > limit:
        errors[field] = _("%(field)s 最多 %(max)s 个字（现有 %(count)s 个）。") % {
            "field": field, "max": limit, "count": len(value)}
        return ""
    return value


def _cleaned(data):
    """The request's fields checked one by one: (values, {field: message})."""
    errors = {}
    values = {field: _text(data, field, errors, limit=EXTERNAL_ID_MAX if field == "external_id" else None)
              for field in FIELDS}
    if not values["service_code"] and "service_code" not in errors:
        errors["service_code"] = _("请填写服务类别 service_code。")
    elif values["service_code"] and values["service_code"] not in Category.values:
        errors["service_code"] = _("没有这个服务类别：%(code)s（见 services.json）。") % {
            "code": values["service_code"][:40]}
    if not values["address_id"] and "address_id" not in errors:
        errors["address_id"] = _("请填写小区编码 address_id。")
    name = f"{values['last_name']}{values['first_name']}"
    if len(name) > NAME_MAX:
        errors["last_name"] = _("姓名最多 %(max)s 个字。") % {"max": NAME_MAX}
    values["name"] = name
    if values["phone"] and "phone" not in errors:
        try:
            values["phone"] = normalize_mobile(values["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    return values, errors


def _existing(client, external_id):
    found = Suggestion.private_objects.filter(source=Suggestion.Source.HOTLINE, external_id=external_id).first()
    if found is not None and found.district_id != client.district_id:
        raise Conflict(_("工单号 %(id)s 已由其他区的热线平台提交。") % {"id": external_id})
    return found


def api_request_submit(*, client, data, received=None):
    """File the hotline request ``data`` (a dict of Open311 fields) for ``client``'s district.

    Returns ``(entry, created)``: ``created`` is False when the ticket number (``external_id``) was
    filed before by this district. Raises ValidationError ({field: message}, nothing saved),
    EstateNotFound (no such estate in the district) or Conflict (the ticket number is another
    district's).
    """
    if not isinstance(data, dict):
        raise ValidationError(_("请求内容必须是一个 JSON 对象（或表单字段）。"))
    values, errors = _cleaned(data)
    if errors:
        raise ValidationError(errors)
    external_id = values["external_id"]
    if external_id:
        found = _existing(client, external_id)
        if found is not None:
            return found, False
    estate = Estate.objects.filter(code=values["address_id"].upper(), district_id=client.district_id).first()
    if estate is None:
        raise EstateNotFound(_("本区没有小区编码为 %(code)s 的小区。") % {"code": values["address_id"][:40]})
    anonymous = not (values["name"] or values["phone"])
    try:
        with transaction.atomic():
            entry = services.suggestion_submit(
                estate=estate, category=values["service_code"], text=values["description"], name=values["name"],
                # The caller gave the number to the hotline, which answers them itself: the firm may call
                # back, but no update of ours goes to it (consent_contact stays off).
                mobile=values["phone"], anonymous=anonymous, consent_contact=False,
                source=Suggestion.Source.HOTLINE, external_id=external_id, received=received)
    except ValidationError as exc:
        if external_id and "external_id" in getattr(exc, "error_dict", {}):
            found = _existing(client, external_id)  # filed by a concurrent request a moment ago
            if found is not None:
                return found, False
        if hasattr(exc, "error_dict") and "text" in exc.error_dict:
            raise ValidationError({"description": exc.error_dict["text"]}) from None
        raise
    return entry, True
