"""What the campaigns tell people, through the notification service's outbox.

The campaigns' services emit events (notifications/events.py ``emit``) inside the transaction of
the change; the handlers here turn them into outbox messages of the kinds registered below, so
each message commits with the change that caused it and is sent once, after commit:

* ``campaigns.obligation_returned`` — the evidence was returned: to the responsible party (the
  estate's firm, the firm, or the agency), with the reason;
* ``campaigns.obligation_accepted`` — the work was accepted: to the responsible party;
* ``campaigns.new_work`` — a campaign was published, or a task added to a published one: one
  message per party organisation (what, where, by when), not one per obligation;
* ``campaigns.obligation_submitted`` — new evidence to review: to the reviewing agency's users,
  folded into one daily digest per agency (``digest="daily"``).

Each message's natural key names the event (the obligation and the review's time; the campaign's
publication; the task added), so emitting an event twice stores one message. Users get the in-app
notification always and email only if they keep ``email_notifications`` on (the email channel).
Rendering reads only the stored payload: sending a batch costs no query per message.
"""

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import join_list
from notifications import outbox
from notifications.channels import Message
from notifications.events import on
from notifications.messages import absolute, first_url, render_email
from notifications.models import Notification
from notifications.registry import Recipient, register_message_kind

from .models import Obligation
from .reminder_messages import obligation_link, party_label

RETURNED = "campaigns.obligation_returned"
ACCEPTED = "campaigns.obligation_accepted"
SUBMITTED = "campaigns.obligation_submitted"
NEW_WORK = "campaigns.new_work"

# How much of a long list a message spells out; the rest is counted.
LIST_LIMIT = 20


def _party(ob):
    """The organisation that answers for an obligation, as a recipient (None: nobody to tell)."""
    if ob.estate_id:
        return Recipient.firm(ob.estate.firm_id) if ob.estate.firm_id else None
    if ob.firm_id:
        return Recipient.firm(ob.firm_id)
    return Recipient.agency(ob.agency_id) if ob.agency_id else None


def _message(subject, lines, link, *, summary, category=Notification.Category.GENERAL):
    context = {"subject": subject, "lines": lines, "url": absolute(link) if link else ""}
    text, html = render_email("message", context)
    return Message(category=category, subject=subject, text=text, html=html, link=link, summary=summary[:500])


# --- returned and accepted: to the responsible party ----------------------------------------------


def _review_payloads(obligation_ids, *, at, note):
    rows = Obligation.objects.filter(pk__in=list(obligation_ids)).select_related(
        "task", "campaign", "estate__firm", "firm", "agency")
    for ob in rows:
        recipient = _party(ob)
        if recipient is None:
            continue
        payload = {"obligation": ob.pk, "task": ob.task.title, "campaign": ob.campaign.name, "party": party_label(ob),
                   "due": ob.due_date.isoformat(), "note": note, "for_firm": recipient.kind == "firm"}
        yield f"obligation/{ob.pk}/{at.isoformat()}", payload, [recipient]


@on(RETURNED)
def _obligations_returned(*, obligation_ids, reason, at, **payload):
    outbox.enqueue_many(RETURNED, _review_payloads(obligation_ids, at=at, note=reason), date=timezone.localdate(at))


@on(ACCEPTED)
def _obligations_accepted(*, obligation_ids, note="", at, **payload):
    outbox.enqueue_many(ACCEPTED, _review_payloads(obligation_ids, at=at, note=note), date=timezone.localdate(at))


def _render_returned(message):
    p = message.payload
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【材料退回】%(party)s：“%(task)s”的材料已退回，请修改后重新提交") % p
        lines = [_("创建活动：%(campaign)s") % p, _("工作任务：%(task)s") % p,
                 _("退回原因：%(note)s") % p, _("完成期限：%(due)s") % p]
        return _message(subject, lines, obligation_link(_Pk(p["obligation"]), for_firm=p["for_firm"]),
                        summary=_("退回原因：%(note)s") % p)


def _render_accepted(message):
    p = message.payload
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【审核通过】%(party)s：“%(task)s”已审核通过") % p
        lines = [_("创建活动：%(campaign)s") % p, _("工作任务：%(task)s") % p]
        if p.get("note"):
            lines.append(_("审核意见：%(note)s") % p)
        return _message(subject, lines, obligation_link(_Pk(p["obligation"]), for_firm=p["for_firm"]),
                        summary=_("%(campaign)s · %(task)s") % p)


class _Pk:
    """obligation_link() wants an object with a pk; the payload has the id."""

    def __init__(self, pk):
        self.pk = pk


# --- new work: one message per party organisation ---------------------------------------------------


@on(NEW_WORK)
def _new_work(*, campaign_id, task_ids=None, origin, at, **payload):
    """``origin`` names the event in the key: "publish", or "task/<id>" for a task added later."""
    obligations = Obligation.objects.filter(campaign_id=campaign_id)
    if task_ids is not None:
        obligations = obligations.filter(task_id__in=list(task_ids))
    per_task = (
        obligations.values("estate__firm_id", "firm_id", "agency_id", "estate_id", "task_id", "task__title",
                           "campaign__name")
        .annotate(n=Count("pk"), due=Min("due_date"))
        .order_by()
    )
    parties = {}
    for row in per_task:
        if row["estate_id"] is not None:
            recipient = Recipient.firm(row["estate__firm_id"]) if row["estate__firm_id"] else None
        elif row["firm_id"]:
            recipient = Recipient.firm(row["firm_id"])
        else:
            recipient = Recipient.agency(row["agency_id"]) if row["agency_id"] else None
        if recipient is None:
            continue
        party = parties.setdefault(recipient, {"campaign": row["campaign__name"], "tasks": {}, "estates": set()})
        task = party["tasks"].setdefault(row["task_id"], {"title": row["task__title"], "count": 0, "due": row["due"]})
        task["count"] += row["n"]
        task["due"] = min(task["due"], row["due"])
    if not parties:
        return
    # Where: the estates of each firm concerned (one query, the estates only, not the obligations).
    for firm_id, name in (obligations.filter(estate__isnull=False, estate__firm__isnull=False)
                          .values_list("estate__firm_id", "estate__name").distinct().order_by("estate__name")):
        party = parties.get(Recipient.firm(firm_id))
        if party is not None:
            party["estates"].add(name)
    messages = []
    for recipient, party in parties.items():
        tasks = sorted(party["tasks"].values(), key=lambda t: (t["due"], t["title"]))
        estates = sorted(party["estates"])
        payload = {
            "campaign": party["campaign"], "for_firm": recipient.kind == "firm",
            "tasks": [{"title": t["title"], "count": t["count"], "due": t["due"].isoformat()} for t in tasks],
            "estates": estates[:LIST_LIMIT], "estate_count": len(estates),
        }
        messages.append((origin, payload, [recipient]))
    outbox.enqueue_many(NEW_WORK, messages, date=timezone.localdate(at))


def _render_new_work(message):
    p = message.payload
    tasks = p["tasks"]
    with translation.override(settings.LANGUAGE_CODE):
        first_due = min(t["due"] for t in tasks)
        subject = _("【新任务】%(campaign)s：%(count)s 项工作任务待完成，最早 %(due)s 到期") % {
            "campaign": p["campaign"], "count": len(tasks), "due": first_due}
        lines = [_("创建活动：%(campaign)s") % p]
        if p["estate_count"]:
            where = join_list(p["estates"])
            if p["estate_count"] > len(p["estates"]):
                where = _("%(names)s 等 %(n)s 个小区") % {"names": where, "n": p["estate_count"]}
            lines.append(_("涉及小区：%(where)s") % {"where": where})
        for t in tasks[:LIST_LIMIT]:
            lines.append(_("· %(title)s（%(count)s 项，完成期限 %(due)s）") % t)
        if len(tasks) > LIST_LIMIT:
            lines.append(_("……另有 %(n)s 项工作任务，请登录平台查看。") % {"n": len(tasks) - LIST_LIMIT})
        link = first_url(("campaigns:obligations",) if p["for_firm"] else ("admin:campaigns_obligation_changelist",))
        return _message(subject, lines, link, summary=_("最早 %(due)s 到期") % {"due": first_due})


# --- new submissions: a daily digest to the reviewers -----------------------------------------------


@on(SUBMITTED)
def _obligations_submitted(*, obligation_ids, at, **payload):
    rows = Obligation.objects.filter(pk__in=list(obligation_ids)).select_related(
        "task", "campaign", "estate__firm", "firm", "agency")
    outbox.enqueue_many(SUBMITTED, [
        (f"obligation/{ob.pk}/{at.isoformat()}",
         {"obligation": ob.pk, "task": ob.task.title, "campaign": ob.campaign.name, "party": party_label(ob),
          "late": bool(ob.late)},
         [Recipient.agency(ob.reviewer_id)])
        for ob in rows if ob.reviewer_id
    ], date=timezone.localdate(at))


def _render_submissions_digest(message):
    items = message.digest_items
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("【待审核】%(agency)s：新提交 %(count)s 项工作任务材料，请及时审核") % {
            "agency": message.agency, "count": len(items)}
        lines = [_("%(party)s · %(task)s（%(campaign)s）") % item for item in items[:LIST_LIMIT * 5]]
        if len(items) > LIST_LIMIT * 5:
            lines.append(_("……另有 %(n)s 项，请在审核列表中查看。") % {"n": len(items) - LIST_LIMIT * 5})
        link = first_url(("admin:campaigns_obligation_review_queue",))
        return _message(subject, lines, link, summary=_("新提交 %(count)s 项待审核") % {"count": len(items)})


register_message_kind(RETURNED, label=gettext_lazy("材料退回"), render=_render_returned)
register_message_kind(ACCEPTED, label=gettext_lazy("审核通过"), render=_render_accepted)
register_message_kind(NEW_WORK, label=gettext_lazy("新任务"), render=_render_new_work)
register_message_kind(SUBMITTED, label=gettext_lazy("新提交待审核（每日汇总）"), render=_render_submissions_digest,
                      digest="daily")
