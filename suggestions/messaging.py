"""The suggestion box's messages, sent through the outbox (notifications/registry.py).

Kinds (registered in ``SuggestionsConfig.ready``):

* ``suggestions.received`` — the handling firm hears of each new entry (in-app and email);
* ``suggestions.follow_up`` — the firm hears of a resident's follow-up, rating or reopening;
* ``suggestions.resident_update`` — the resident who left a mobile and consented hears of each
  step, as a recipient without an account (``Recipient.bare(mobile, "sms")``: logged as "无接收人"
  until an SMS channel is configured; the tracking page is always there);
* ``suggestions.referred`` — the district bureau hears of an entry the firm referred to it;
* ``suggestions.overdue`` / ``suggestions.escalated`` — late entries, to the firm, then to the
  street and the district (queued by the overdue sweep, suggestions/sweeps.py).

Payloads carry ids and the few words a message needs; links are built when sent (SITE_URL).
Each key names the entry and the step, so queuing the same step twice stores one message.
"""

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.channels import Message
from notifications.registry import Recipient, register_message_kind

from .models import Category

RECEIVED = "suggestions.received"
FOLLOW_UP = "suggestions.follow_up"
RESIDENT_UPDATE = "suggestions.resident_update"
REFERRED = "suggestions.referred"
OVERDUE = "suggestions.overdue"
ESCALATED = "suggestions.escalated"


def _inbox_link(payload):
    return settings.SITE_URL + reverse("suggestions:inbox_detail", args=[payload["number"]])


def _track_link(payload):
    return settings.SITE_URL + reverse("suggestions:track", args=[payload["token"]])


def render_received(message):
    p = message.payload
    subject = _("【意见箱】%(estate)s 收到新的意见建议 %(number)s") % p
    text = _("%(estate)s 的居民提交了意见建议（%(category)s），请于 %(acknowledge_due)s 前受理、"
             "%(answer_due)s 前答复。") % p
    return Message(category="general", subject=subject, text=f"{text}\n{_inbox_link(p)}",
                   link=_inbox_link(p), summary=text)


def render_follow_up(message):
    p = message.payload
    subject = _("【意见箱】%(number)s：%(what)s") % p
    text = _("%(estate)s 的意见建议 %(number)s：%(what)s。") % p
    return Message(category="general", subject=subject, text=f"{text}\n{_inbox_link(p)}",
                   link=_inbox_link(p), summary=text)


def render_resident_update(message):
    p = message.payload
    text = _("您在 %(estate)s 提交的意见建议（编号 %(number)s）%(what)s。查看办理情况：%(link)s") % {
        **p, "link": _track_link(p)}
    return Message(category="general", subject=_("意见建议办理进展"), text=text, link=_track_link(p), summary=text)


def render_referred(message):
    p = message.payload
    subject = _("【意见箱】%(estate)s 的意见建议 %(number)s 已转区主管部门") % p
    text = _("%(firm)s 认为该意见（%(category)s）不属于企业职责，转交贵单位：%(reason)s") % p
    link = _admin_link(p)
    return Message(category="general", subject=subject, text=f"{text}\n{link}" if link else text,
                   link=link, summary=text)


STAGES = {"acknowledge": gettext_lazy("受理"), "answer": gettext_lazy("答复")}
LEVELS = {"street": gettext_lazy("街道"), "district": gettext_lazy("区主管部门")}


def _stage(p):
    # Payloads queued before the sweep named its stages by code carried the word itself.
    return str(STAGES.get(p.get("stage"), p.get("stage", "")))


def _admin_link(payload):
    """The entry in the bureau's admin (agencies read entries there), when the admin has that page."""
    try:
        return settings.SITE_URL + reverse("admin:suggestions_suggestion_change", args=[payload["suggestion"]])
    except NoReverseMatch:
        return ""


def render_overdue(message):
    p = message.payload
    values = {**p, "stage": _stage(p)}
    subject = _("【意见箱】%(number)s 已超过%(stage)s期限，请尽快办理") % values
    text = _("%(estate)s 的意见建议 %(number)s（%(category)s）已超过%(stage)s期限（%(due)s）。"
             "逾期仍未办理的，将依次上报街道和区主管部门。") % values
    return Message(category="reminder", subject=subject, text=f"{text}\n{_inbox_link(p)}",
                   link=_inbox_link(p), summary=text)


def render_escalated(message):
    p = message.payload
    values = {**p, "stage": _stage(p), "days": p.get("days", "")}
    subject = _("【意见箱】%(firm)s 逾期未%(stage)s：%(number)s") % values
    text = _("%(estate)s（%(firm)s）的意见建议 %(number)s（%(category)s）已超过%(stage)s期限（%(due)s）"
             "%(days)s 个工作日，企业已被提醒，请督促办理。") % values
    link = _admin_link(p)
    return Message(category="reminder", subject=subject, text=f"{text}\n{link}" if link else text,
                   link=link, summary=text)


def register():
    register_message_kind(RECEIVED, label=gettext_lazy("收到新意见建议"), render=render_received)
    register_message_kind(FOLLOW_UP, label=gettext_lazy("居民补充或评价"), render=render_follow_up)
    register_message_kind(RESIDENT_UPDATE, label=gettext_lazy("意见办理进展（居民）"), render=render_resident_update)
    register_message_kind(REFERRED, label=gettext_lazy("意见转区主管部门"), render=render_referred)
    register_message_kind(OVERDUE, label=gettext_lazy("意见逾期提醒"), render=render_overdue)
    register_message_kind(ESCALATED, label=gettext_lazy("意见逾期上报"), render=render_escalated)


def resident_recipients(suggestion):
    """The resident, when they left a mobile and agreed to be contacted (and it is not erased)."""
    if suggestion.mobile and suggestion.consent_contact and not suggestion.erased_at:
        return [Recipient.bare(suggestion.mobile, "sms")]
    return []


# What get_category_display() gives (the label in the active language, else the stored value), without the
# mapping Django rebuilds from the field's choices at each call (every submission draws two payloads).
_CATEGORY_LABELS = dict(Category.choices)


def payload(suggestion, *, for_resident=False, **extra):
    """What a message needs. Only the resident's own messages carry the tracking token (staff see
    the outbox log; the token is the resident's key)."""
    data = {
        "suggestion": suggestion.pk, "number": suggestion.number,
        "estate": suggestion.estate.name, "firm": suggestion.firm.name if suggestion.firm_id else "",
        "category": str(_CATEGORY_LABELS.get(suggestion.category, suggestion.category)), **extra,
    }
    if for_resident:
        data["token"] = suggestion.token
    return data
