"""The hotline API (12345): Open311 GeoReport v2 in shape, JSON only. docs/open311.yaml describes it.

    GET  services.json                        the categories as Open311 services
    POST requests.json                        file a request for an estate (address_id = its code)
    GET  requests.json?service_request_id=a,b the status of requests (or those of a period: start_date…)
    GET  requests/<service_request_id>.json   the status of one request

Every request carries ``Authorization: Bearer <token>`` (a token per district, suggestions/api_services.py).
The views are CSRF-exempt because nothing here is authenticated by a cookie: a browser's session gives no
access (a request without the bearer token is a 401 before anything is read or written), so a forged
cross-site request has nothing to ride on. Errors are Open311's array ``[{"code": 400, "description": "…"}]``
with the description in words (Chinese). No personal data is ever answered: no name, no phone, and the
text a moderator redacted. Each client may make SUGGESTION_API_RATE_PER_MINUTE requests a minute
(counted in the cache; when the cache is down, nothing is refused).
"""

import datetime
import json
import logging
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from . import api_services
from .models import Category, Suggestion
from .selectors import api as selectors

logger = logging.getLogger(__name__)

# A short description of each service for services.json.
SERVICE_DESCRIPTIONS = {
    Category.ENVIRONMENT: gettext_lazy("垃圾清运、保洁、楼道卫生、异味等。"),
    Category.SAFETY: gettext_lazy("门岗、巡逻、停车秩序、消防通道、陌生人员等。"),
    Category.FACILITIES: gettext_lazy("电梯、路灯、门禁、水电、屋面渗漏等公共设施的维修。"),
    Category.GREENING: gettext_lazy("绿地、树木修剪、病虫害、毁绿等。"),
    Category.FEES: gettext_lazy("物业费、停车费、公共收益公示、维修资金等。"),
    Category.ATTITUDE: gettext_lazy("物业工作人员的服务态度和办事效率。"),
    Category.OTHER: gettext_lazy("以上类别以外的意见建议。"),
}
SERVICE_GROUP = "物业服务"


def error(status, *descriptions, headers=None):
    """Open311's error array: one item per problem."""
    response = JsonResponse([{"code": status, "description": str(d)} for d in descriptions], status=status,
                            safe=False, json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _ok(data, status=200):
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _throttled(client):
    """Whether ``client`` has used up its requests of this minute (a fixed window in the cache)."""
    limit = settings.SUGGESTION_API_RATE_PER_MINUTE
    if limit <= 0:
        return False
    key = f"suggestions-api:{client.pk}:{int(time.time() // 60)}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key) > limit
    except Exception:  # the cache (Redis) is down: the hotline is served rather than refused
        logger.warning("hotline API rate limit not counted: the cache is unavailable", exc_info=True)
        return False


def open311(methods):
    """Authenticate the bearer token, count the request, allow ``methods``; the view gets ``client``."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return error(405, _("此地址不支持 %(method)s 请求。") % {"method": request.method[:10]},
                             headers={"Allow": ", ".join(methods)})
            token = _bearer(request)
            unauthorized = {"WWW-Authenticate": 'Bearer realm="open311"'}
            if not token:
                return error(401, _("缺少访问令牌：请在请求头中提供 Authorization: Bearer <令牌>。"),
                             headers=unauthorized)
            try:
                client = api_services.api_client_authenticate(token)
            except api_services.NotAuthenticated:
                return error(401, _("访问令牌无效。"), headers=unauthorized)
            except PermissionDenied as exc:
                return error(403, str(exc) or _("该访问令牌已停用。"))
            if _throttled(client):
                return error(429, _("请求过于频繁，请一分钟后再试。"), headers={"Retry-After": "60"})
            return view(request, client, *args, **kwargs)

        return wrapper

    return decorate


# --- the answers ----------------------------------------------------------------------------------

STATUS = {state: "open" for state in Suggestion.OPEN_STATES} | {state: "closed" for state in Suggestion.FINISHED_STATES}


def _local(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _end_of_day(day):
    """A due date as Open311's expected_datetime: the end of that day in local time."""
    moment = datetime.datetime.combine(day, datetime.time(23, 59, 59))
    return timezone.make_aware(moment).isoformat(timespec="seconds")


def _service_notice(entry):
    return _("物业企业应于 %(ack)s 前受理、%(due)s 前答复（工作日计算）。") % {
        "ack": entry.acknowledge_due.isoformat(), "due": entry.answer_due.isoformat()}


def request_json(entry):
    """One entry as an Open311 service request: no name, no phone, the redacted text."""
    return {
        "service_request_id": entry.number,
        "external_id": entry.external_id or None,
        "status": STATUS[entry.state],
        "status_notes": entry.notes or None,
        "service_name": str(Category(entry.category).label),
        "service_code": entry.category,
        "description": entry.public_text,
        "agency_responsible": entry.firm.name if entry.firm_id else None,
        "service_notice": _service_notice(entry),
        "requested_datetime": _local(entry.submitted_at),
        "updated_datetime": _local(max(filter(None, [entry.updated, entry.submitted_at]))),
        "expected_datetime": _end_of_day(entry.answer_due),
        "address": entry.estate.address or entry.estate.name,
        "address_id": entry.estate.code,
        "lat": None,
        "long": None,
        "media_url": None,
    }


# --- the views ------------------------------------------------------------------------------------

@open311(["GET"])
def services(request, client):
    return _ok([{
        "service_code": code, "service_name": str(label), "description": str(SERVICE_DESCRIPTIONS[code]),
        "metadata": False, "type": "realtime", "keywords": "", "group": SERVICE_GROUP,
    } for code, label in Category.choices])


@open311(["GET", "POST"])
def requests(request, client):
    if request.method == "POST":
        return _create(request, client)
    numbers = [n.strip() for n in request.GET.get("service_request_id", "").split(",") if n.strip()]
    if len(numbers) > selectors.MAX_IDS:
        return error(400, _("一次最多查询 %(max)s 个 service_request_id。") % {"max": selectors.MAX_IDS})
    status = request.GET.get("status", "").strip().lower()
    if status and status not in ("open", "closed"):
        return error(400, _("status 只能是 open 或 closed。"))
    bounds, problems = {}, []
    for field in ("start_date", "end_date"):
        value = request.GET.get(field, "").strip()
        if value:
            try:
                moment = parse_datetime(value)
            except ValueError:
                moment = None
            if moment is None:
                problems.append(_("%(field)s 不是 ISO 8601 时间（如 2026-12-01T08:00:00+08:00）。") % {"field": field})
                continue
            bounds[field] = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    if problems:
        return error(400, *problems)
    if not numbers and "start_date" not in bounds:
        # Open311's default window: the last 90 days.
        bounds["start_date"] = bounds.get("end_date", timezone.now()) - datetime.timedelta(days=90)
    rows = selectors.api_request_list(client=client, numbers=numbers, status=status or None,
                                      start=bounds.get("start_date"), end=bounds.get("end_date"))
    return _ok([request_json(row) for row in rows])


def _body(request):
    """The fields of a POST: a JSON object (Content-Type: application/json) or Open311's form fields."""
    if request.content_type == "application/json":
        try:
            return json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ValidationError(_("请求内容不是有效的 JSON。")) from None
    return {key: request.POST.get(key) for key in request.POST}


def _messages(exc):
    if hasattr(exc, "error_dict"):
        return [f"{field}: {message}" if field != "__all__" else message
                for field, errors in exc.message_dict.items() for message in errors]
    return exc.messages


def _create(request, client):
    try:
        entry, created = api_services.api_request_submit(client=client, data=_body(request))
    except ValidationError as exc:
        return error(400, *_messages(exc))
    except api_services.EstateNotFound as exc:
        return error(404, str(exc))
    except api_services.Conflict as exc:
        return error(409, str(exc))
    return _ok([{"service_request_id": entry.number, "service_notice": _service_notice(entry), "account_id": None}],
               status=201 if created else 200)


@open311(["GET"])
def request_detail(request, client, service_request_id):
    entry = selectors.api_request_get(client=client, number=service_request_id)
    if entry is None:
        return error(404, _("没有编号为 %(id)s 的工单（仅限本区热线提交的）。") % {"id": service_request_id[:40]})
    return _ok([request_json(entry)])
