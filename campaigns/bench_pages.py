"""The campaigns' part of `manage.py bench_pages` (core/benchpages/registry.py): a published campaign moved on
in time, records and reminders; the firm's obligation and record pages, the bureau's admin lists, the review
queue and the campaign's progress dashboard."""

import random
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from core.benchpages.registry import register_exemption, register_page, register_seed_step

TEMPLATE = Path(__file__).resolve().parent.parent / "fixtures" / "campaigns" / "ningbo-2011.json"


def seed_campaign(ctx, *, accepted=0.45, submitted=0.15, returned=0.05):
    """The Ningbo template shifted so that today falls in its middle, published; of the obligations due within
    30 days a share accepted, submitted and returned (as documents/management/commands/_bench.py does for the
    report benchmark); trainings and activities of a third of the firms and of the firm user's firm."""
    from . import services
    from .models import Activity, Obligation, Training

    today = timezone.localdate()
    data = services.read_template(TEMPLATE)
    campaign = services.campaign_load_template(data=data, issuing_agency=ctx.city.city,
                                               date_shift=services.shift_to_middle(data, today))
    services.campaign_publish(campaign=campaign)
    rng = random.Random(ctx.seed)
    ids = list(Obligation.objects.filter(campaign=campaign, due_date__lt=today + timedelta(days=30))
               .order_by("pk").values_list("pk", flat=True))
    rng.shuffle(ids)
    a, s, r = int(len(ids) * accepted), int(len(ids) * submitted), int(len(ids) * returned)
    now = timezone.now()
    for state, chunk in ((Obligation.State.ACCEPTED, ids[:a]), (Obligation.State.SUBMITTED, ids[a:a + s]),
                         (Obligation.State.RETURNED, ids[a + s:a + s + r])):
        for i in range(0, len(chunk), 5000):
            Obligation.objects.filter(pk__in=chunk[i:i + 5000]).update(state=state, submitted_at=now)
    firm = ctx.users["firm"].firm
    firms = {f.pk: f for f in ctx.city.firms[: max(1, len(ctx.city.firms) // 3)]}
    firms[firm.pk] = firm
    trainings = [Training(date=today - timedelta(days=rng.randint(1, 40)), topic="物业服务规范内部培训",
                          organiser_firm=f, audience="项目经理、客服、保洁、秩序维护人员",
                          attendee_count=rng.randint(10, 60)) for f in firms.values()]
    trainings += [Training(date=today - timedelta(days=rng.randint(1, 40)), topic="文明物业创建专题培训",
                           organiser_agency=d, audience="街道、社区、业委会、项目经理",
                           attendee_count=rng.randint(60, 200)) for d in ctx.city.districts]
    Training.objects.bulk_create(trainings)
    kinds = [k for k, _label in Activity.Kind.choices]
    Activity.objects.bulk_create([
        Activity(kind=kinds[i % len(kinds)], date=today - timedelta(days=rng.randint(1, 60)), title="邻里活动",
                 firm=f, participant_count=rng.randint(20, 120)) for i, f in enumerate(list(ctx.city.firms) + [firm])
    ])
    # Written in bulk, past the services (as campaigns/demo.py): the campaign's figures must be counted again,
    # and the firms' kept record lists read again.
    services.figures_changed(campaigns={campaign.pk})
    services.records_inserted_in_bulk(firm_ids={f.pk for f in ctx.city.firms} | {firm.pk})
    ctx.campaign = campaign
    ctx.say(f"  campaign {campaign}: {Obligation.objects.filter(campaign=campaign).count():,} obligations, "
            f"{a:,} accepted, {s:,} submitted, {r:,} returned")


def seed_reminders(ctx):
    """A sent reminder for every overdue obligation (the reminder log the bureau reads), in bulk."""
    from notifications.models import Reminder

    from .models import Obligation

    today = timezone.localdate()
    overdue = (Obligation.objects.filter(campaign=ctx.campaign, due_date__lt=today)
               .exclude(state=Obligation.State.ACCEPTED).values_list("pk", "due_date"))
    now = timezone.now()
    rows = [Reminder(obligation_id=pk, campaign_id=ctx.campaign.pk, kind=Reminder.Kind.OVERDUE, date=today,
                     offset=(today - due).days, due_date=due, state=Reminder.State.SENT, attempts=1, sent_at=now,
                     channels_done="inapp,email") for pk, due in overdue]
    Reminder.objects.bulk_create(rows, batch_size=5000)
    ctx.say(f"  {len(rows):,} reminders")


register_seed_step(30, seed_campaign, name="campaigns.campaign")
register_seed_step(40, seed_reminders, name="campaigns.reminders")


def _firm_obligation(ctx, **filters):
    from .models import Obligation

    return (Obligation.objects.filter(campaign=ctx.campaign, firm_id=ctx.users["firm"].firm_id, **filters)
            .order_by("due_date", "pk").values_list("pk", flat=True).first())


def _firm_training(ctx):
    from .models import Training

    return Training.objects.filter(organiser_firm_id=ctx.users["firm"].firm_id).values_list("pk", flat=True).first()


def _firm_activity(ctx):
    from .models import Activity

    return Activity.objects.filter(firm_id=ctx.users["firm"].firm_id).values_list("pk", flat=True).first()


def _admin(name, *args):
    return lambda ctx: reverse(f"admin:{name}", args=[a(ctx) for a in args])


# --- the firm's portal ---------------------------------------------------------------------------------------
register_page("portal.obligation_list", role="firm", pattern="campaigns:obligations",
              url=lambda ctx: reverse("campaigns:obligations"))
register_page("portal.obligation_list.overdue", role="firm", pattern="campaigns:obligations",
              url=lambda ctx: reverse("campaigns:obligations") + "?f=overdue")
register_page("portal.obligation_detail", role="firm", pattern="campaigns:obligation_detail",
              url=lambda ctx: reverse("campaigns:obligation_detail", args=[_firm_obligation(ctx, state="submitted")]))
register_page("portal.trainings", role="firm", pattern="campaigns:trainings",
              url=lambda ctx: reverse("campaigns:trainings"))
register_page("portal.training_edit", role="firm", pattern="campaigns:training_edit",
              url=lambda ctx: reverse("campaigns:training_edit", args=[_firm_training(ctx)]))
register_page("portal.training_withdraw", role="firm", pattern="campaigns:training_withdraw",
              url=lambda ctx: reverse("campaigns:training_withdraw", args=[_firm_training(ctx)]))
register_page("portal.activities", role="firm", pattern="campaigns:activities",
              url=lambda ctx: reverse("campaigns:activities"))
register_page("portal.activity_edit", role="firm", pattern="campaigns:activity_edit",
              url=lambda ctx: reverse("campaigns:activity_edit", args=[_firm_activity(ctx)]))
register_page("portal.activity_withdraw", role="firm", pattern="campaigns:activity_withdraw",
              url=lambda ctx: reverse("campaigns:activity_withdraw", args=[_firm_activity(ctx)]))
register_page("portal.coordinators", role="firm", pattern="campaigns:coordinators",
              url=lambda ctx: reverse("campaigns:coordinators"))
register_page("portal.roster_upload", role="firm", pattern="campaigns:roster_upload",
              url=lambda ctx: reverse("campaigns:roster_upload"))
register_exemption("campaigns:evidence_file", "a file download (evidence), sent as it was uploaded")
register_exemption("campaigns:record_photo", "a file download (a record's photo)")
register_exemption("campaigns:roster_template", "an Excel download (a blank template)")

# --- the bureau's admin --------------------------------------------------------------------------------------
register_page("admin.obligation_changelist", role="city", kind="changelist",
              pattern="admin:campaigns_obligation_changelist", url=_admin("campaigns_obligation_changelist"))
register_page("admin.obligation_changelist.district", role="district", kind="changelist",
              pattern="admin:campaigns_obligation_changelist", url=_admin("campaigns_obligation_changelist"))
register_page("admin.obligation_changelist.street", role="street", kind="changelist",
              pattern="admin:campaigns_obligation_changelist", url=_admin("campaigns_obligation_changelist"))
register_page("admin.obligation_changelist.submitted", role="district", kind="changelist",
              pattern="admin:campaigns_obligation_changelist",
              url=lambda ctx: reverse("admin:campaigns_obligation_changelist") + "?state__exact=submitted")
register_page("admin.review_queue", role="district", kind="changelist",
              pattern="admin:campaigns_obligation_review_queue", url=_admin("campaigns_obligation_review_queue"))
register_page("admin.reminder_changelist", role="city", kind="changelist",
              pattern="admin:notifications_reminder_changelist", url=_admin("notifications_reminder_changelist"))
register_page("admin.campaign_changelist", role="city", kind="changelist",
              pattern="admin:campaigns_campaign_changelist", url=_admin("campaigns_campaign_changelist"))
register_page("admin.task_changelist", role="city", kind="changelist", pattern="admin:campaigns_task_changelist",
              url=_admin("campaigns_task_changelist"))
register_page("admin.training_changelist", role="district", kind="changelist",
              pattern="admin:campaigns_training_changelist", url=_admin("campaigns_training_changelist"))
register_page("admin.activity_changelist", role="district", kind="changelist",
              pattern="admin:campaigns_activity_changelist", url=_admin("campaigns_activity_changelist"))
register_page("admin.event_changelist", role="city", kind="changelist",
              pattern="admin:campaigns_obligationevent_changelist", url=_admin("campaigns_obligationevent_changelist"))
register_page("dashboard.campaign_progress", role="city", kind="dashboard", pattern="admin:campaigns_campaign_progress",
              url=lambda ctx: reverse("admin:campaigns_campaign_progress", args=[ctx.campaign.pk]))
register_page("dashboard.campaign_progress.district", role="district", kind="dashboard",
              pattern="admin:campaigns_campaign_progress",
              url=lambda ctx: reverse("admin:campaigns_campaign_progress", args=[ctx.campaign.pk]))
register_page("dashboard.campaign_progress.firms_page2", role="city", kind="dashboard",
              pattern="admin:campaigns_campaign_progress",
              url=lambda ctx: reverse("admin:campaigns_campaign_progress", args=[ctx.campaign.pk]) + "?by=firm&page=2")
