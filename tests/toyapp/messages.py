"""The toy app's message kind, rendered for the outbox (notifications/registry.py)."""

from django.utils.translation import gettext as _

from notifications.channels import Message


def render_cleanup_filed(message):
    p = message.payload
    subject = _("【小区清洁】%(estate)s %(date)s") % {"estate": p["estate"], "date": p["date"]}
    text = _("%(estate)s 已登记清洁：%(note)s") % {"estate": p["estate"], "note": p["note"]}
    return Message(category="general", subject=subject, text=text, summary=text)
