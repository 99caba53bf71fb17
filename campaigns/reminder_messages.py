"""Rendering of the campaigns' reminder and digest messages (subject, text and HTML parts,
in-app summary), the first clients of the notification service (campaigns/reminders.py).

Always rendered in the site language (Chinese): a sweep has no request to take one from.
"""

import contextlib

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.text import with_note
from notifications.channels import Message
from notifications.messages import absolute, first_url, render_email
from notifications.models import Notification, Reminder

# Where a reminder points to, first match wins; the notification list always exists.
FIRM_OBLIGATION_URLS = ("portal:obligation_detail", "campaigns:obligation_detail")
STAFF_OBLIGATION_URLS = ("admin:campaigns_obligation_change",)


def obligation_link(obligation, *, for_firm):
    return first_url(FIRM_OBLIGATION_URLS if for_firm else STAFF_OBLIGATION_URLS, obligation.pk)


def party_label(ob):
    if ob.estate_id:
        firm = ob.estate.firm.name if ob.estate.firm_id else ""
        return with_note(ob.estate.name, firm) if firm else ob.estate.name
    return str(ob.firm or ob.agency)


def _site_language():
    """The site language for the block; nothing to do when it is already active (a sweep renders a
    thousand messages in it)."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return contextlib.nullcontext()
    return translation.override(settings.LANGUAGE_CODE)


def reminder_message(reminder, ob, *, today, for_firm):
    with _site_language():
        days_left = (ob.due_date - today).days
        # The party leads the subject: a firm with many estates gets one message per estate.
        names = {"task": ob.task.title, "party": ob.party}
        if reminder.kind == Reminder.Kind.BEFORE:
            subject = _("【到期提醒】%(party)s：“%(task)s”还有 %(days)s 天到期") % {**names, "days": days_left}
        elif reminder.kind == Reminder.Kind.DUE:
            subject = _("【到期提醒】%(party)s：“%(task)s”今天到期") % names
        elif reminder.kind == Reminder.Kind.OVERDUE:
            subject = _("【逾期提醒】%(party)s：“%(task)s”已逾期 %(days)s 天") % {**names, "days": -days_left}
        else:
            subject = _("【催办】%(party)s：请尽快办理“%(task)s”") % names
        link = obligation_link(ob, for_firm=for_firm)
        context = {
            "subject": subject, "reminder": reminder, "obligation": ob, "task": ob.task, "campaign": ob.campaign,
            "party": party_label(ob), "days_left": days_left, "days_overdue": -days_left, "today": today,
            "url": absolute(link), "requested_by": reminder.requested_by,
            "returned": ob.state == ob.State.RETURNED,
        }
        text, html = render_email("reminder", context)
        summary = _("%(campaign)s · %(party)s · 完成期限 %(due)s") % {
            "campaign": ob.campaign.name, "party": context["party"], "due": ob.due_date.isoformat(),
        }
    category = Notification.Category.MANUAL if reminder.kind == Reminder.Kind.MANUAL else Notification.Category.REMINDER
    key = f"reminder/{reminder.obligation_id}/{reminder.kind}/{reminder.date}/{reminder.seq}"
    return Message(category=category, subject=subject, text=text, html=html, link=link, summary=summary,
                   headers={"X-Notification-Key": key})


def digest_message(digest, groups, count, *, today):
    with _site_language():
        subject = _("【逾期汇总】%(agency)s 截至 %(today)s 共 %(count)s 项逾期") % {
            "agency": digest.agency, "today": today.isoformat(), "count": count,
        }
        link = first_url(("admin:campaigns_obligation_changelist",))
        context = {
            "subject": subject, "user": digest.user, "agency": digest.agency, "groups": groups, "count": count,
            "today": today, "url": absolute(link), "firm_count": len(groups),
        }
        text, html = render_email("digest", context)
        summary = _("共 %(count)s 项逾期，涉及 %(firms)s 个责任单位。") % {"count": count, "firms": len(groups)}
    return Message(category=Notification.Category.DIGEST, subject=subject, text=text, html=html, link=link,
                   summary=summary, headers={"X-Notification-Key": f"digest/{digest.user_id}/{digest.week}"})
