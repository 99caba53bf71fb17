"""Campaign reminders and the weekly overdue digest: the first clients of the notification
service's outbox (notifications/outbox.py), which knows nothing of campaigns.

The campaigns own *what* is reminded and *to whom*; the outbox owns *exactly once*: the rows
(``Reminder``, ``Digest``; tables of the notifications app, kept from before the outbox) are
stored under their unique keys before anything is sent, then claimed, sent and retried by the
outbox's protocol. This module registers both tables as senders (``"reminder"``, ``"digest"``).

1. **insert**: the sweep computes today's due reminders with one indexed query and stores them
   with ``bulk_create(ignore_conflicts=True)`` under the unique key (obligation, kind, date):
   running it twice, or in two processes at once, inserts each row once.
2. **claim, send, retry**: notifications/outbox.py (``claim_batch``, ``dispatch``, ``send_rows``).

**Missed days.** Each sweep records its date (``SweepRun``). The next one plans the reminders
of the days in between as their own sweeps would have (same keys, original dates, so catching
up twice inserts nothing) and stores them with today's: per obligation only the newest goes
out — today's if there is one, else the latest missed day's, sent late under its date — and
the older ones are stored as skipped with the reason. Before/on-the-day reminders whose
deadline has passed meanwhile are skipped at send time ("改由逾期提醒"). Days beyond
``REMINDER_CATCH_UP_DAYS`` (31) are logged as not caught up.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.workdays import WorkdayCalendar
from estates import scoping
from notifications import outbox
from notifications.models import Delivery, Digest, ListVersion, Reminder, ReminderPolicy, SweepRun
from notifications.outbox import SweepResult, Undeliverable, claim_batch, dispatch
from notifications.policy import default_rule, due_dates_for, overdue_horizon

from . import reminder_messages as rendering
from .models import OPEN_STATES, Campaign, Obligation, Task

log = logging.getLogger(__name__)
State = Delivery.State


def catch_up_days():
    """How many days the sweep did not run it catches up (the most recent ones)."""
    return getattr(settings, "REMINDER_CATCH_UP_DAYS", 31)


# --- 1. insert ----------------------------------------------------------------------------------


def _effective_rules():
    """{task_id: (campaign_id, Rule)} for every task of a published campaign.

    Voluntary tasks (opt-in work such as "firms may apply") get no automatic reminders: most
    parties rightly never do them. Reads tasks and policies (a few hundred rows at most),
    never obligations.
    """
    tasks = list(
        Task.objects.filter(action__campaign__status=Campaign.Status.PUBLISHED, is_voluntary=False).values_list(
            "pk", "action__campaign_id"
        )
    )
    campaign_ids = {c for _t, c in tasks}
    policies = ReminderPolicy.objects.filter(Q(task_id__in=[t for t, _c in tasks]) | Q(campaign_id__in=campaign_ids))
    by_task, by_campaign = {}, {}
    for policy in policies:
        if policy.task_id:
            by_task[policy.task_id] = policy.as_rule()
        else:
            by_campaign[policy.campaign_id] = policy.as_rule()
    fallback = default_rule()
    return {t: (c, by_task.get(t) or by_campaign.get(c) or fallback) for t, c in tasks}


def plan_due_reminders(*, today):
    """Today's due reminders as (obligation_id, campaign_id, due_date, kind, offset) tuples.

    Tasks are grouped by their rule; each rule turns into the due dates it reminds today,
    and one query with ``task IN (...) AND due_date IN (...)`` per rule (OR-ed into a single
    statement) fetches exactly the obligations to remind, through the (state, due_date) index.
    """
    rules = _effective_rules()
    if not rules:
        return []
    calendar = WorkdayCalendar(
        today - datetime.timedelta(days=overdue_horizon() * 2 + 30), today + datetime.timedelta(days=800)
    )
    tasks_by_rule = defaultdict(list)
    for task_id, (_campaign, rule) in rules.items():
        tasks_by_rule[rule].append(task_id)
    dates_by_rule = {rule: due_dates_for(rule, today, calendar) for rule in tasks_by_rule}
    condition = Q(pk__in=[])
    for rule, task_ids in tasks_by_rule.items():
        if dates_by_rule[rule]:
            condition |= Q(task_id__in=task_ids, due_date__in=list(dates_by_rule[rule]))
    rows = (
        Obligation.objects.filter(state__in=OPEN_STATES)
        .filter(condition)
        .values_list("pk", "task_id", "campaign_id", "due_date")
    )
    plan = []
    for pk, task_id, campaign_id, due_date in rows.iterator(chunk_size=2000):
        kind, offset = dates_by_rule[rules[task_id][1]][due_date]
        plan.append((pk, campaign_id, due_date, kind, offset))
    return plan


def insert_due_reminders(*, today, plan=None, catch_up=()):
    """Store today's due reminders before anything is sent; existing keys are left alone.

    ``catch_up`` holds the reminders of missed days as ``(date, plan row, superseded)``: they
    keep their original date (so their key is the one the missed sweep would have used, and a
    second catching-up sweep inserts nothing), and the superseded ones are stored as skipped
    with the reason, never sent.
    """
    plan = plan_due_reminders(today=today) if plan is None else plan
    now = timezone.now()
    objs = [
        Reminder(obligation_id=pk, campaign_id=campaign_id, due_date=due_date, kind=kind, offset=offset,
                 date=today, created_at=now)
        for pk, campaign_id, due_date, kind, offset in plan
    ]
    for day, (pk, campaign_id, due_date, kind, offset), superseded_by in catch_up:
        extra = {}
        if superseded_by:
            extra = {"state": State.SKIPPED, "last_error": _(
                "提醒服务当天未运行，补发时该任务已有 %(date)s 的提醒，不重复发送。") % {"date": superseded_by}}
        objs.append(Reminder(obligation_id=pk, campaign_id=campaign_id, due_date=due_date, kind=kind,
                             offset=offset, date=day, created_at=now, **extra))
    dates = {today} | {day for day, _row, _s in catch_up}
    before = Reminder.objects.filter(date__in=dates).count()
    with transaction.atomic():
        Reminder.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
        ListVersion.renew_for(Reminder, len(objs))  # the reminder log's version: one UPDATE, whatever the rows
    return Reminder.objects.filter(date__in=dates).count() - before


def missed_days(*, today):
    """Days between the last sweep before ``today`` and ``today`` on which no sweep ran:
    ``(days to catch up, oldest first; number of older ones left out)``. Nothing before the
    first sweep ever recorded counts as missed."""
    last = SweepRun.objects.filter(date__lt=today).aggregate(last=Max("date"))["last"]
    if last is None:
        return [], 0
    days = [last + datetime.timedelta(days=n) for n in range(1, (today - last).days)]
    keep = catch_up_days()
    if len(days) > keep:
        return days[len(days) - keep:], len(days) - keep
    return days, 0


def plan_catch_up(*, today, days, plan):
    """The reminders the sweeps of ``days`` would have stored, as ``(date, row, superseded_by)``.

    A party gets one reminder per obligation from one sweep: today's if it has one, else the
    most recent missed day's (sent late under its original date); the older ones are stored as
    skipped, naming the date of the reminder that goes out instead.
    """
    rows = [(day, row) for day in days for row in plan_due_reminders(today=day)]
    newest = {}
    for day, row in rows:
        newest[row[0]] = max(newest.get(row[0], day), day)
    today_pks = {row[0] for row in plan}
    out = []
    for day, row in rows:
        if row[0] in today_pks:
            out.append((day, row, today.isoformat()))
        elif day < newest[row[0]]:
            out.append((day, row, newest[row[0]].isoformat()))
        else:
            out.append((day, row, ""))
    return out


def skip_settled_reminders():
    """Reminders not yet sent whose obligation was submitted or accepted meanwhile: skipped,
    in one UPDATE (the sender checks again right before sending)."""
    count = Reminder.objects.filter(state__in=[State.PENDING, State.FAILED, State.NO_RECIPIENT]).exclude(
        obligation__state__in=OPEN_STATES
    ).update(state=State.SKIPPED, last_error=_("任务已提交或已通过，未发送提醒。"))
    ListVersion.renew_for(Reminder, count)
    return count


def _party_users(obligations):
    """{("firm"|"agency", id): [users]} for the responsible parties of ``obligations``, one query."""
    from accounts.models import User

    firm_ids, agency_ids = set(), set()
    for ob in obligations:
        key = _party_key(ob)
        if key:
            (firm_ids if key[0] == "firm" else agency_ids).add(key[1])
    users = defaultdict(list)
    if not firm_ids and not agency_ids:
        return users
    for user in User.objects.filter(is_active=True).filter(
        Q(firm_id__in=firm_ids) | Q(agency_id__in=agency_ids)
    ).order_by("pk"):
        users[("firm", user.firm_id) if user.firm_id else ("agency", user.agency_id)].append(user)
    return users


def _party_key(ob):
    """Who answers for an obligation: the estate's firm, the firm, or the agency."""
    if ob.estate_id:
        return ("firm", ob.estate.firm_id) if ob.estate.firm_id else None
    if ob.firm_id:
        return ("firm", ob.firm_id)
    return ("agency", ob.agency_id)


def reminder_recipients(*, obligation):
    """The active users who receive a reminder about ``obligation`` (the party's accounts)."""
    party = _party_key(obligation)
    return _party_users([obligation]).get(party, []) if party else []


def no_recipient_reason(ob):
    """Why nobody receives a reminder about ``ob``, saying who must be added."""
    if ob.estate_id and not ob.estate.firm_id:
        return _("小区“%(estate)s”没有登记物业服务企业，无人接收提醒：请先在小区资料中登记其物业服务企业。") % {
            "estate": ob.estate.name}
    if ob.estate_id or ob.firm_id:
        firm = ob.estate.firm if ob.estate_id else ob.firm
        return _("物业服务企业“%(firm)s”还没有在用的企业端账号，无人接收提醒：请为该企业添加用户"
                 "（企业管理员或市级工作人员可添加）。") % {"firm": firm.name}
    return _("“%(agency)s”还没有在用的工作人员账号，无人接收提醒：请为该单位添加用户。") % {"agency": ob.agency}


def _reminder_skip_reason(reminder, ob, today):
    if ob.state not in OPEN_STATES:
        return _("任务已提交或已通过，未发送提醒。")
    if ob.campaign.status != Campaign.Status.PUBLISHED:
        return _("活动未发布或已结束，未发送提醒。")
    if reminder.kind != Reminder.Kind.MANUAL:
        if ob.due_date != reminder.due_date:
            return _("完成期限已调整，未发送提醒。")
        late = reminder.date < today  # retried on a later day than planned
        if late and reminder.kind in (Reminder.Kind.BEFORE, Reminder.Kind.DUE) and ob.due_date < today:
            return _("已过完成期限，改由逾期提醒。")
    return ""


# What a batch reads besides every column of its reminders and their obligations: the columns the checks and the
# mail use of the related rows (path from the reminder, column names). The rows of a batch share a few
# tasks, campaigns and firms: each is built once per batch, not once per reminder as select_related builds them
# (issue 16). A column left out here is deferred: read by a query of its own on first use, never wrong.
_BATCH_RELATED = [
    ("obligation__task", ["id", "title", "requirement", "action_id", "is_voluntary"]),
    ("obligation__task__action", ["id", "name", "campaign_id"]),
    ("obligation__campaign", ["id", "name", "status"]),
    ("obligation__estate", ["id", "name", "firm_id"]),
    ("obligation__estate__firm", ["id", "name"]),
    ("obligation__firm", ["id", "name"]),
    ("obligation__agency", ["id", "name", "short_name"]),
    ("requested_by", ["id", "username", "agency_id", "firm_id"]),
    ("requested_by__agency", ["id", "name", "short_name"]),
]


def _batch_plan():
    """[(path, model, attnames, index of the primary key, parent path, the parent's field)] for
    :data:`_BATCH_RELATED`."""
    models = {"": Reminder, "obligation": Obligation}
    plan = []
    for path, names in _BATCH_RELATED:
        parent_path, _sep, name = path.rpartition("__")
        parent_path = parent_path or ""
        relation = models[parent_path]._meta.get_field(name)
        model = models[path] = relation.related_model
        order = [f.attname for f in model._meta.concrete_fields]  # Model.from_db takes them in this order
        names = sorted(names, key=order.index)
        plan.append((path, model, names, names.index(model._meta.pk.attname), parent_path, relation))
    return plan


def _batch_rows(token):
    """The claimed reminders of ``token`` with their obligations and related rows, in one query of their
    columns (values_list), as model instances; the related ones shared (see :data:`_BATCH_RELATED`)."""
    plan = _batch_plan()
    own = [f.attname for f in Reminder._meta.concrete_fields]
    obligation = [f.attname for f in Obligation._meta.concrete_fields]
    columns = own + [f"obligation__{n}" for n in obligation]
    for path, _model, names, _pk, _parent, _relation in plan:
        columns += [f"{path}__{n}" for n in names]
    rows = (Reminder.objects.filter(claim_token=token, state=State.SENDING).order_by("pk")
            .values_list(*columns))
    db = rows.db
    shared = {}
    out = []
    for values in rows:
        reminder = Reminder.from_db(db, own, values[:len(own)])
        at = len(own)
        ob = Obligation.from_db(db, obligation, values[at:at + len(obligation)])
        at += len(obligation)
        Reminder._meta.get_field("obligation").set_cached_value(reminder, ob)
        built = {"": reminder, "obligation": ob}
        for path, model, names, pk, parent_path, relation in plan:
            part = values[at:at + len(names)]
            at += len(names)
            parent = built.get(parent_path)
            if parent is None:  # the parent is absent (NULL): so is this
                built[path] = None
                continue
            if part[pk] is None:
                instance = None
            else:
                instance = shared.get((model, part[pk]))
                if instance is None:
                    instance = shared[(model, part[pk])] = model.from_db(db, names, part)
            relation.set_cached_value(parent, instance)
            built[path] = instance
        out.append(reminder)
    return out


def send_reminder_batch(*, token, today=None):
    today = today or timezone.localdate()
    rows = _batch_rows(token)
    users_by_party = _party_users([r.obligation for r in rows])

    def prepare(reminder):
        ob = reminder.obligation
        reason = _reminder_skip_reason(reminder, ob, today)
        if reason:
            return None, reason
        party = _party_key(ob)
        users = users_by_party.get(party, []) if party else []
        if not users:
            return None, Undeliverable(no_recipient_reason(ob))
        return rendering.reminder_message(reminder, ob, today=today, for_firm=party[0] == "firm"), users

    return outbox.send_rows(Reminder, token, rows, prepare)


def send_digest_batch(*, token, today=None):
    today = today or timezone.localdate()
    rows = list(Digest.objects.filter(claim_token=token, state=State.SENDING).select_related("user", "agency"))

    def prepare(digest):
        if not digest.user.is_active:
            return None, _("接收人已停用。")
        groups, count = overdue_digest_groups(agency=digest.agency, today=today)
        if not count:
            return None, _("本周没有逾期事项。")
        Digest.objects.filter(pk=digest.pk).update(overdue_count=count)
        return rendering.digest_message(digest, groups, count, today=today), [digest.user]

    return outbox.send_rows(Digest, token, rows, prepare)


# --- the sweeps ---------------------------------------------------------------------------------


def sweep_reminders(*, today=None, dry_run=False):
    """The daily run: insert today's due reminders, skip settled ones, send everything claimable."""
    today = today or timezone.localdate()
    started = timezone.now()
    result = SweepResult(today=today)
    plan = plan_due_reminders(today=today)
    result.planned = _count_kinds(plan)
    result.missed_days, result.not_caught_up = missed_days(today=today)
    catch_up = plan_catch_up(today=today, days=result.missed_days, plan=plan) if result.missed_days else []
    if catch_up:
        result.planned["caught_up"] = sum(1 for _d, _r, superseded in catch_up if not superseded)
    result.superseded = sum(1 for _d, _r, superseded in catch_up if superseded)
    if result.not_caught_up:
        log.warning("reminder sweep did not run on %s day(s) before %s; only the last %s are caught up",
                    result.not_caught_up + len(result.missed_days), result.missed_days[0], catch_up_days())
    if dry_run:
        return result
    result.inserted = insert_due_reminders(today=today, plan=plan, catch_up=catch_up)
    # Recorded once the rows exist: from here on the claim protocol owns them, so a crash after
    # this point loses nothing, and a crash before it is caught up by the next sweep.
    SweepRun.objects.get_or_create(date=today, defaults={"caught_up_days": len(result.missed_days)})
    result.skipped_settled = skip_settled_reminders()
    sent = dispatch(Reminder, today=today, started=started)
    outbox.merge(result, sent)
    return result


def _count_kinds(plan):
    counts = defaultdict(int)
    for *_rest, kind, _offset in plan:
        counts[kind] += 1
    return dict(counts)



def week_of(day):
    return day - datetime.timedelta(days=day.weekday())


def plan_digests(*, today):
    """(user_id, agency_id) of every active officer of an agency that reviews an overdue obligation."""
    from accounts.models import User

    reviewers = (
        Obligation.objects.overdue(today)
        .filter(campaign__status=Campaign.Status.PUBLISHED)
        .values("reviewer_id")
        .distinct()
    )
    return list(User.objects.filter(is_active=True, agency_id__in=reviewers).values_list("pk", "agency_id"))


def sweep_digest(*, today=None, dry_run=False):
    """The weekly overdue digest: one row per (officer, week), then send."""
    today = today or timezone.localdate()
    started = timezone.now()
    result = SweepResult(today=today)
    plan = plan_digests(today=today)
    result.planned = {"digest": len(plan)}
    if dry_run:
        return result
    week = week_of(today)
    before = Digest.objects.filter(week=week).count()
    Digest.objects.bulk_create(
        [Digest(user_id=u, agency_id=a, week=week, date=today) for u, a in plan], ignore_conflicts=True
    )
    result.inserted = Digest.objects.filter(week=week).count() - before
    outbox.merge(result, dispatch(Digest, today=today, started=started))
    return result


# --- manual reminders ---------------------------------------------------------------------------


def remind_now(*, obligation, requested_by, force=False, today=None):
    """A bureau officer reminds the responsible party of one obligation now.

    Once per obligation and day: a second request the same day returns the first reminder
    unless ``force`` is given. Returns ``(reminder, created)``.
    """
    today = today or timezone.localdate()
    if obligation.state not in OPEN_STATES:
        raise ValidationError(_("该任务已提交或已通过，无需催办。"))
    existing = Reminder.objects.filter(obligation=obligation, kind=Reminder.Kind.MANUAL, date=today)
    if not force:
        first = existing.order_by("seq").first()
        if first is not None:
            return first, False
    seq = 0
    if force:
        top = existing.aggregate(top=Max("seq"))["top"]
        seq = 0 if top is None else top + 1
    reminder = Reminder(
        obligation=obligation, campaign_id=obligation.campaign_id, kind=Reminder.Kind.MANUAL, date=today, seq=seq,
        due_date=obligation.due_date, offset=(today - obligation.due_date).days, requested_by=requested_by,
    )
    reminder.full_clean()
    try:
        with transaction.atomic():
            reminder.save()
            ListVersion.renew_for(Reminder)
    except IntegrityError:  # a second click raced us: the first one counts
        return existing.order_by("-seq").first(), False
    token, _count = claim_batch(Reminder, pks=[reminder.pk])
    if token:
        from notifications import tasks

        transaction.on_commit(lambda: tasks.send_batch.delay("reminder", str(token), today.isoformat()))
    return reminder, True


outbox.register_sender("reminder", model=Reminder, send=send_reminder_batch, before_flush=skip_settled_reminders)
outbox.register_sender("digest", model=Digest, send=send_digest_batch)


def flush(*, today=None, started=None):
    """Send whatever is claimable (the hourly job): see notifications.outbox.flush."""
    return outbox.flush(today=today, started=started)


def resend(model, *, pks):
    return outbox.resend(model, pks=pks)


# --- reads ----------------------------------------------------------------------------------------

REMINDER_LINKS = {"estate": "obligation__estate", "firm": "obligation__firm", "agency": "obligation__agency"}


def reminder_log(*, user):
    return scoping.restrict(
        Reminder.objects.select_related(
            "obligation__task", "obligation__estate", "obligation__firm", "obligation__agency", "campaign",
            "requested_by",
        ),
        user,
        **REMINDER_LINKS,
    )


def obligation_for_reminder(*, user, pk):
    """An obligation a bureau user may send a manual reminder about (404 outside their scope)."""
    qs = scoping.restrict(
        Obligation.objects.select_related("task", "campaign", "estate__firm", "firm", "agency"),
        user,
        estate="estate", firm="firm", agency="agency",
    )
    return scoping.get_or_404(qs, pk=pk)


@dataclass
class EstateGroup:
    label: str
    obligations: list = field(default_factory=list)


@dataclass
class FirmGroup:
    label: str
    estates: dict = field(default_factory=dict)
    count: int = 0

    def add(self, label, ob):
        self.estates.setdefault(label, EstateGroup(label)).obligations.append(ob)
        self.count += 1


def overdue_digest_groups(*, agency, today):
    """Every overdue obligation the agency reviews, grouped by responsible firm (or agency)
    and estate, in one query. Returns ``(groups, count)``."""
    rows = (
        Obligation.objects.overdue(today)
        .filter(reviewer=agency, campaign__status=Campaign.Status.PUBLISHED)
        .select_related("task", "estate__firm", "firm", "agency")
        .order_by("due_date", "pk")
    )
    groups = {}
    count = 0
    own_work = {_("企业层面任务"), _("机构层面任务")}
    for ob in rows:
        ob.days_overdue = (today - ob.due_date).days
        if ob.estate_id:
            firm_label = ob.estate.firm.name if ob.estate.firm_id else _("（未登记物业企业）")
            estate_label = ob.estate.name
        elif ob.firm_id:
            firm_label, estate_label = ob.firm.name, _("企业层面任务")
        else:
            firm_label, estate_label = str(ob.agency), _("机构层面任务")
        groups.setdefault(firm_label, FirmGroup(firm_label)).add(estate_label, ob)
        count += 1
    ordered = []
    for label in sorted(groups):
        group = groups[label]
        # The firm's (or agency's) own work first, then its estates by name.
        group.estates = sorted(group.estates.values(), key=lambda g: (g.label not in own_work, g.label))
        ordered.append(group)
    return ordered, count


# --- demo -----------------------------------------------------------------------------------------


def demo_reminders_step(command, **options):
    """The setup_demo step (registered in campaigns/demo.py). Safe to repeat: exactly once.

    setup_demo creates the demo accounts after its extra steps; reminders need their recipients
    first, so this step makes sure they exist (the same idempotent call, the same password).
    The demo's mail is discarded (the console backend would print hundreds of messages); the in-app
    notifications and the reminder log are real.
    """
    import os

    from django.test.utils import override_settings

    from accounts.demo import DEFAULT_DEMO_PASSWORD, ensure_demo_accounts

    ensure_demo_accounts(password=os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD)
    today = timezone.localdate()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        reminders = sweep_reminders(today=today)
        digest = sweep_digest(today=today)
    command.stdout.write(
        f"Demo reminders for {today}: {reminders.sent} sent, {reminders.no_recipient} without recipients "
        f"(logged as such: only the demo accounts exist), {reminders.failed} failed, {reminders.skipped} skipped; "
        f"overdue digests: {digest.sent} "
        f"(mail discarded, in-app notifications kept)."
    )
