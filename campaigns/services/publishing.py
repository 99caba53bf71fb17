"""Publishing and closing campaigns, obligations of later parties, deadline moves."""


from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Estate
from notifications.events import emit

from ..models import (
    OPEN_STATES,
    Campaign,
    Evidence,
    Obligation,
    ObligationEvent,
    PartyKind,
    Task,
    new_figures_token,
)
from .figures import figures_changed
from .generation import _bulk_insert, _campaign_tasks, _obligations, _parties
from .periods import _periods_of

State = Obligation.State
CHUNK = 2000  # obligation rows per INSERT batch: bounds the rows held in memory at once


@transaction.atomic
def campaign_publish(*, campaign, user=None):
    """Publish a draft campaign: generate every obligation in bulk. Returns the count."""
    campaign = Campaign.objects.select_for_update().select_related("issuing_agency").get(pk=campaign.pk)
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError(_("只有草稿状态的活动可以发布。"))
    tasks = _campaign_tasks(campaign)
    if not tasks:
        raise ValidationError(_("活动还没有任何工作任务，不能发布。"))
    parties = _parties(campaign, kinds={t.party_kind for t in tasks})
    created = _bulk_insert(_obligations(campaign, tasks, parties))
    if created > CHUNK and connection.vendor == "postgresql":
        # Fresh statistics, or the planner takes the new rows for a handful until autovacuum
        # gets round to it, and the first dashboards after a publish pick nested loops.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Obligation._meta.db_table)}")
    campaign.status = Campaign.Status.PUBLISHED
    campaign.published_at = timezone.now()
    campaign.published_by = user
    campaign.figures_token = new_figures_token()
    campaign.save(update_fields=["status", "published_at", "published_by", "figures_token"])
    emit("campaigns.new_work", campaign_id=campaign.pk, origin="publish", at=campaign.published_at)
    return created


@transaction.atomic
def campaign_close(*, campaign, user=None):
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(_("只有已发布的活动可以结束。"))
    campaign.status = Campaign.Status.CLOSED
    campaign.closed_at = timezone.now()
    campaign.figures_token = new_figures_token()
    campaign.save(update_fields=["status", "closed_at", "figures_token"])
    return campaign


def _sync(campaign, *, today, estate_ids=None, firm_ids=None, agency_ids=None, kinds=None):
    tasks = _campaign_tasks(campaign, party_kind__in=list(kinds)) if kinds else _campaign_tasks(campaign)
    if not tasks:
        return 0
    parties = _parties(campaign, estate_ids=estate_ids, firm_ids=firm_ids, agency_ids=agency_ids,
                       kinds={t.party_kind for t in tasks})
    existing = Obligation.objects.filter(campaign=campaign)
    if estate_ids is not None:
        existing = existing.filter(estate_id__in=estate_ids)
    if firm_ids is not None:
        existing = existing.filter(firm_id__in=firm_ids)
    if agency_ids is not None:
        existing = existing.filter(agency_id__in=agency_ids)
    skip = set()
    for task_id, e, f, a, start in existing.values_list("task_id", "estate_id", "firm_id", "agency_id",
                                                        "period_start").iterator(chunk_size=5000):
        link, pk = ("estate_id", e) if e else (("firm_id", f) if f else ("agency_id", a))
        skip.add((task_id, link, pk, start))
    created = _bulk_insert(_obligations(campaign, tasks, parties, skip=skip, min_period_end=today))
    if created:
        figures_changed(campaigns=[campaign])
    return created


@transaction.atomic
def obligations_sync(*, estate=None, firm=None, agency=None, campaign=None, today=None):
    """Create the missing obligations of published campaigns (all, or one) for one estate,
    firm or agency — or for everybody when none is given (after a bulk import, which sends
    no signals). Only periods ending today or later. Returns the number created."""
    today = today or timezone.localdate()
    campaigns = Campaign.objects.filter(status=Campaign.Status.PUBLISHED).select_related("issuing_agency")
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
    runs = [{}]
    if estate is not None:
        runs = [{"estate_ids": [estate.pk], "kinds": [PartyKind.ESTATE]}]
    elif firm is not None:
        # A firm's grade also decides which estate tasks apply to the estates it manages.
        runs = [{"firm_ids": [firm.pk], "kinds": [PartyKind.FIRM]},
                {"estate_ids": list(Estate.objects.filter(firm=firm).values_list("pk", flat=True)),
                 "kinds": [PartyKind.ESTATE]}]
    elif agency is not None:
        runs = [{"agency_ids": [agency.pk], "kinds": [PartyKind.DISTRICT, PartyKind.STREET, PartyKind.CITY]}]
    return sum(_sync(c, today=today, **kwargs) for c in campaigns for kwargs in runs
               if kwargs.get("estate_ids", True))


@transaction.atomic
def obligations_follow_estate(*, estate):
    """Keep the denormalised district, street and (for pending work) reviewer of an
    estate's obligations in step with the estate."""
    Obligation.objects.filter(estate=estate).exclude(district_id=estate.district_id, street_id=estate.street_id) \
        .update(district_id=estate.district_id, street_id=estate.street_id)
    Obligation.objects.filter(estate=estate, state__in=OPEN_STATES + (State.SUBMITTED,)) \
        .exclude(reviewer_id=estate.district_id).update(reviewer_id=estate.district_id)


@transaction.atomic
def obligations_follow_firm(*, firm):
    Obligation.objects.filter(firm=firm).exclude(district_id=firm.district_id).update(district_id=firm.district_id)
    Obligation.objects.filter(firm=firm, state__in=OPEN_STATES + (State.SUBMITTED,)) \
        .exclude(reviewer_id=firm.district_id).update(reviewer_id=firm.district_id)


@transaction.atomic
def task_move_deadline(*, task, deadline, user=None, note=""):
    """Move a task's deadline and the due dates of its pending obligations.

    Returns (moved, created, removed) obligation counts.
    """
    task = Task.objects.select_for_update().select_related("action__campaign__issuing_agency").get(pk=task.pk)
    if deadline < task.window_start:
        raise ValidationError(_("完成期限不能早于开始日期（%(d)s）。") % {"d": task.window_start})
    campaign = task.action.campaign
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("活动已结束，不能调整期限。"))
    old_periods = {p[0]: p for p in _periods_of(task)}
    task.deadline = deadline
    task.full_clean()
    task.save(update_fields=["deadline"])
    if campaign.status != Campaign.Status.PUBLISHED:
        return 0, 0, 0
    new_periods = {p[0]: p for p in _periods_of(task)}
    removed = 0
    gone = [start for start in old_periods if start not in new_periods]
    if gone:
        doomed = Obligation.objects.filter(task=task, period_start__in=gone)
        if doomed.exclude(state=State.OPEN).exists() or doomed.filter(
                Q(Exists(Evidence.objects.filter(obligation=OuterRef("pk"))))
                | Q(Exists(ObligationEvent.objects.filter(obligation=OuterRef("pk"))))).exists():
            raise ValidationError(_("缩短期限后有些周期将取消，但其中已有提交或办理记录，不能调整。"))
        removed, _detail = doomed.delete()
    moved = 0
    now = timezone.now()
    for start, (_s, p_end, due) in new_periods.items():
        if start in old_periods and old_periods[start][2] == due:
            continue
        pending = Obligation.objects.filter(task=task, period_start=start, state__in=OPEN_STATES)
        ids = list(pending.values_list("pk", "state"))
        if not ids:
            continue
        pending.update(period_end=p_end, due_date=due)
        message = _("完成期限调整为 %(d)s。") % {"d": due}
        if note:
            message = f"{message}{note}"
        ObligationEvent.objects.bulk_create(
            [ObligationEvent(obligation_id=pk, kind=ObligationEvent.Kind.DEADLINE, actor=user, at=now,
                             from_state=state, to_state=state, note=message) for pk, state in ids],
            batch_size=CHUNK,
        )
        moved += len(ids)
    created = 0
    new_starts = {s for s in new_periods if s not in old_periods}
    if new_starts:
        # New periods (a recurring task's window grew): everybody the task applies to gets them.
        created = _bulk_insert(_obligations(campaign, [task], _parties(campaign, kinds={task.party_kind}),
                                            only_starts=new_starts))
    return moved, created, removed
