"""Tasks added to or removed from a running campaign."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.events import emit

from ..models import (
    Campaign,
    Obligation,
    ObligationEvent,
    Task,
)
from .generation import _bulk_insert, _obligations, _parties
from .templates import TASK_FIELDS

# The fields of a task a bureau fills in (the admin's task form); see task_add.
TASK_INPUT_FIELDS = ["order", "code", "title", "requirement", "window_start", "deadline", *TASK_FIELDS[2:]]


@transaction.atomic
def task_add(*, action, user=None, districts=(), today=None, **fields):
    """Add a task to a draft or published campaign. Returns (task, obligations created).

    On a published campaign the task's obligations are generated in the same transaction,
    like a party registered after publishing: every party it applies to, for the periods
    ending today or later (nobody is put in arrears for a period that was over before the
    task existed). A deadline already past would create nothing, so it is refused.
    """
    today = today or timezone.localdate()
    campaign = Campaign.objects.select_for_update().select_related("issuing_agency").get(pk=action.campaign_id)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能再添加工作任务。"))
    task = Task(action=action, **fields)
    task.full_clean()
    if campaign.status == Campaign.Status.PUBLISHED and task.deadline < today:
        raise ValidationError({"deadline": _("活动已发布，新任务的完成期限不能早于今天（%(d)s）。") % {"d": today}})
    task.save()
    if districts:
        task.districts.set(districts)
    created = 0
    if campaign.status == Campaign.Status.PUBLISHED:
        created = _bulk_insert(_obligations(campaign, [task], _parties(campaign, kinds={task.party_kind}),
                                            min_period_end=today))
    if created:
        emit("campaigns.new_work", campaign_id=campaign.pk, task_ids=[task.pk], origin=f"task/{task.pk}",
             at=timezone.now())
    return task, created


@transaction.atomic
def task_delete(*, task, user=None):
    """Remove a task and its obligations while none of them has work in it.

    Work is evidence, a submission or review (any state but open), or records counted
    towards it; an obligation with any of these is kept, and the task with it (refused with
    the count). Reminders of the obligations go with them; deadline-move entries of the log
    too, as they only describe the removed obligations. Returns the obligations removed.
    """
    from ..selectors import task_obligation_summary

    task = Task.objects.select_for_update().select_related("action__campaign").get(pk=task.pk)
    if task.action.campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能删除工作任务。"))
    summary = task_obligation_summary(task=task)
    if summary["with_work"]:
        raise ValidationError(
            _("“%(task)s”已有 %(n)s 条任务责任提交了材料、经过审核或计入了记录，不能删除。"
              "可调整其完成期限，或联系责任单位。") % {"task": task.title, "n": summary["with_work"]})
    obligations = Obligation.objects.filter(task=task)
    ObligationEvent.objects.filter(obligation__task=task).delete()
    removed = obligations.count()
    obligations.delete()
    task.delete()
    return removed
