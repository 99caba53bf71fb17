"""The demo campaign for `make run`: Ningbo 2011, shifted so that today is its middle.

`load_demo_campaign()` loads fixtures/campaigns/ningbo-2011.json for the demo city with
every date moved by the same number of days, publishes it, and then plays a deterministic
history (seeded random) so every page has something to show:

* work due before today: about 55% accepted, 10% awaiting review, 10% returned with a
  reason, the rest still open — overdue; a share of the submissions came in late;
* work due in the next seven days: about a third already submitted, the rest open and
  "due this week";
* later work: a few early submissions.

Record-based obligations get the records that satisfy them (trainings, activities,
coordinators), so the record lists and the counts agree. The history has no actor
(demo data, like the registry rows of estates/demo.py) and is written in bulk.
"""

import datetime
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.demo import register_demo_step
from estates import services as estate_services
from estates.demo import mobile, person_name
from estates.models import Agency, Coordinator

from . import services
from .models import Activity, Campaign, Evidence, Obligation, ObligationEvent, RecordKind, Training

TEMPLATE = Path(settings.BASE_DIR) / "fixtures" / "campaigns" / "ningbo-2011.json"
TEMPLATE_KEY = "ningbo-2011"
State = Obligation.State
RETURN_REASONS = [
    "照片看不清张贴位置，请补充楼道和出入口的照片。",
    "材料不完整，请补充相关台账。",
    "名单缺少联系电话，请补全后重新提交。",
    "内容与任务要求不符，请按工作要求重新整理。",
]
SUBMIT_TEXTS = ["已按要求完成，详见附件。", "已完成，现场照片已上传。", "已组织实施，情况说明见附件。"]
TRAINING_TOPICS = ["客户服务礼仪", "设施设备安全运行", "消防安全与应急处置", "专项维修资金管理", "文明物业创建要求"]
ACTIVITY_TITLES = {
    Activity.Kind.FRIENDSHIP: ["中秋业主联谊会", "社区文艺晚会", "邻里节联谊活动"],
    Activity.Kind.CONVENIENCE: ["便民义诊和家电义修", "免费磨刀修伞", "便民理发服务"],
    Activity.Kind.PAIRING: ["走访慰问困难家庭", "结对帮扶送温暖", "为困难老人上门服务"],
}


def _at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@transaction.atomic
def load_demo_campaign(*, today=None, seed=2011):
    """Load, publish and animate the demo campaign once. Returns (campaign, created?)."""
    existing = Campaign.objects.filter(template_key=TEMPLATE_KEY).first()
    if existing:
        return existing, False
    city = Agency.objects.filter(level=Agency.Level.CITY).order_by("pk").first()
    if city is None:
        raise RuntimeError("the demo city must be built first")
    today = today or timezone.localdate()
    data = services.read_template(TEMPLATE)
    campaign = services.campaign_load_template(data=data, issuing_agency=city,
                                               date_shift=services.shift_to_middle(data, today))
    services.campaign_publish(campaign=campaign)
    _play(campaign, today, random.Random(seed))
    return campaign, True


def _play(campaign, today, rng):
    week = today + datetime.timedelta(days=7)
    changed, evidence, events, trainings, activities, coordinators = [], [], [], [], [], []
    taken = set(Coordinator.objects.filter(is_current=True).values_list("estate_id", flat=True))
    obligations = Obligation.objects.filter(campaign=campaign).select_related("task", "estate").order_by("pk")
    for ob in obligations:
        roll = rng.random()
        if ob.period_start > today:
            continue
        if ob.task.is_voluntary and roll >= 0.12:
            continue  # opt-in work (the model-estate application): most estates do not apply
        if ob.due_date < today:
            fate = "accepted" if roll < 0.55 else "submitted" if roll < 0.65 else "returned" if roll < 0.75 else None
        elif ob.due_date <= week:
            fate = "submitted" if roll < 0.35 else None
        else:
            fate = "submitted" if roll < 0.05 else None
        if fate is None:
            continue
        # Past work was handed in up to three days after its due date (late) or before it;
        # current work some day of its period up to today.
        upper = min(today - datetime.timedelta(days=1), ob.due_date + datetime.timedelta(days=3)) \
            if ob.due_date < today else today
        lower = min(ob.period_start, upper)
        submitted_on = lower + datetime.timedelta(days=rng.randint(0, (upper - lower).days))
        submitted_at = _at(submitted_on, rng.randint(9, 17))
        ob.state = State(fate)
        ob.submitted_at = submitted_at
        ob.late = submitted_on > ob.due_date
        text = rng.choice(SUBMIT_TEXTS)
        if ob.task.record_kind:
            ob.count_achieved = ob.task.min_count
            _records(ob, submitted_on, rng, trainings, activities, coordinators, taken)
        evidence.append(Evidence(obligation=ob, round=1, text=text, created_at=submitted_at))
        events.append(ObligationEvent(obligation=ob, at=submitted_at, from_state=State.OPEN,
                                      to_state=State.SUBMITTED, note=text,
                                      kind=ObligationEvent.Kind.AUTO_SUBMIT if ob.task.record_kind
                                      else ObligationEvent.Kind.SUBMIT))
        if fate in ("accepted", "returned"):
            reviewed_on = min(today, submitted_on + datetime.timedelta(days=rng.randint(1, 4)))
            ob.reviewed_at = max(submitted_at + datetime.timedelta(hours=1), _at(reviewed_on, 15))
            ob.review_note = rng.choice(RETURN_REASONS) if fate == "returned" else ""
            events.append(ObligationEvent(
                obligation=ob, at=ob.reviewed_at, from_state=State.SUBMITTED, to_state=ob.state, note=ob.review_note,
                kind=ObligationEvent.Kind.ACCEPT if fate == "accepted" else ObligationEvent.Kind.RETURN))
        changed.append(ob)
    Obligation.objects.bulk_update(changed, ["state", "submitted_at", "late", "count_achieved", "reviewed_at",
                                             "review_note"], batch_size=1000)
    Evidence.objects.bulk_create(evidence, batch_size=1000)
    ObligationEvent.objects.bulk_create(events, batch_size=1000)
    Training.objects.bulk_create(trainings, batch_size=1000)
    Activity.objects.bulk_create(activities, batch_size=1000)
    # bulk, past their save(): the kept record lists are read again
    services.records_inserted_in_bulk(firm_ids={t.organiser_firm_id for t in trainings}
                                      | {a.firm_id for a in activities})
    Coordinator.objects.bulk_create(coordinators, batch_size=1000)
    estate_services.roster_changed()  # bulk, past Coordinator.save(): the kept rosters are read again
    # Written in bulk, past the services: the figures of these campaigns must be counted again.
    services.figures_changed(campaigns={ob.campaign_id for ob in changed})


def _records(ob, day, rng, trainings, activities, coordinators, taken):
    kind = ob.task.record_kind
    if kind == RecordKind.TRAINING:
        trainings.extend(
            Training(date=day, topic=rng.choice(TRAINING_TOPICS), organiser_firm_id=ob.firm_id,
                     organiser_agency_id=ob.agency_id, attendee_count=rng.randint(15, 120),
                     audience="项目经理和一线员工" if ob.firm_id else "街道、社区和业委会",
                     place="公司会议室" if ob.firm_id else "区住建局会议室")
            for _ in range(ob.task.min_count))
    elif kind in (RecordKind.FRIENDSHIP, RecordKind.CONVENIENCE, RecordKind.PAIRING) and ob.firm_id:
        activities.extend(
            Activity(kind=kind, date=day, title=rng.choice(ACTIVITY_TITLES[kind]), firm_id=ob.firm_id,
                     partners="所在街道、社区居委会", participant_count=rng.randint(20, 200))
            for _ in range(ob.task.min_count))
    elif kind == RecordKind.COORDINATOR and ob.estate_id and ob.estate_id not in taken:
        taken.add(ob.estate_id)
        coordinators.append(Coordinator(estate_id=ob.estate_id, name=person_name(rng), phone=mobile(rng),
                                        appointed_on=day, is_current=True))


def demo_campaign_step(command, **options):
    """The setup_demo step (core/demo.py)."""
    campaign, created = load_demo_campaign()
    if not created:
        command.stdout.write(f"Demo campaign already loaded: {campaign.name}.")
        return
    counts = dict(Obligation.objects.filter(campaign=campaign).values_list("state").annotate(n=Count("pk"))
                  .order_by())
    overdue = Obligation.objects.filter(campaign=campaign).overdue(timezone.localdate()).count()
    command.stdout.write(
        f"Demo campaign: {campaign.name} ({campaign.start_date} – {campaign.end_date}), "
        f"{sum(counts.values())} obligations: {counts.get('accepted', 0)} accepted, "
        f"{counts.get('submitted', 0)} awaiting review, {counts.get('returned', 0)} returned, {overdue} overdue."
    )


register_demo_step(20, demo_campaign_step)


def _demo_reminders_step(command, **options):
    # Imported when run: the reminders module registers its senders with the outbox.
    from .reminders import demo_reminders_step

    demo_reminders_step(command, **options)


register_demo_step(30, _demo_reminders_step, name="campaigns.reminders.demo_reminders_step")
