"""Writes of the notification service: the reminder sweep, the weekly digest, claiming and
sending deliveries exactly once, manual reminders and in-app notifications.

The exactly-once protocol (healthchecks' sendalerts, extended with a lease):

1. **insert**: the sweep computes today's due reminders with one indexed query and stores
   them with ``bulk_create(ignore_conflicts=True)`` under the unique key (obligation, kind,
   date): running it twice, or in two processes at once, inserts each row once.
2. **claim**: a batch of claimable rows (pending; failed before this sweep started; sending
   with a lease older than ``REMINDER_LEASE_SECONDS``) is taken with one conditional UPDATE
   that stamps a fresh token. A row can be won by one claimer only: the UPDATE re-checks
   the state under the row lock (PostgreSQL) or the database write lock (SQLite).
3. **send**: a Celery task per batch sends what its token owns; each row is finished by a
   conditional UPDATE on (pk, token, state=sending) in the transaction that writes its
   in-app notifications, so a worker that lost its lease writes nothing.
4. **retry**: an SMTP failure marks the rows failed; the task retries its own failed rows
   with backoff, and the next sweep claims whatever is still failed. A crashed worker's
   rows stay "sending" until the lease runs out and are then taken again.

**Missed days.** Each sweep records its date (``SweepRun``). The next one plans the reminders
of the days in between as their own sweeps would have (same keys, original dates, so catching
up twice inserts nothing) and stores them with today's: per obligation only the newest goes
out — today's if there is one, else the latest missed day's, sent late under its date — and
the older ones are stored as skipped with the reason. Before/on-the-day reminders whose
deadline has passed meanwhile are skipped at send time ("改由逾期提醒"). Days beyond
``REMINDER_CATCH_UP_DAYS`` (31) are logged as not caught up.

The one window left open is the one no SMTP client can close: the server accepted a message
and the worker died before recording it; that message is sent again after the lease.
"""

import datetime
import logging
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Obligation, ObligationQuerySet, Task
from core.text import join_list
from core.workdays import WorkdayCalendar

from . import messages as rendering
from .channels import external_channels
from .models import Delivery, Digest, Notification, Reminder, ReminderPolicy, SweepRun
from .policy import default_rule, due_dates_for, overdue_horizon

log = logging.getLogger(__name__)
State = Delivery.State
OPEN_STATES = ObligationQuerySet.OPEN_STATES
# Errors that mean "the server is unreachable": the rest of the batch would fail the same way.
CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError, OSError)


def _conf(name, default):
    return getattr(settings, name, default)


def lease():
    return datetime.timedelta(seconds=_conf("REMINDER_LEASE_SECONDS", 600))


def batch_size():
    return _conf("REMINDER_BATCH_SIZE", 100)


def max_attempts():
    return _conf("REMINDER_MAX_ATTEMPTS", 8)


def catch_up_days():
    """How many days the sweep did not run it catches up (the most recent ones)."""
    return _conf("REMINDER_CATCH_UP_DAYS", 31)


@dataclass
class SweepResult:
    today: datetime.date
    inserted: int = 0
    skipped_settled: int = 0
    batches: int = 0
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_recipient: int = 0
    skipped: int = 0
    planned: dict = field(default_factory=dict)
    dispatch_error: str = ""
    missed_days: list = field(default_factory=list)  # days without a sweep, caught up now
    not_caught_up: int = 0  # missed days older than REMINDER_CATCH_UP_DAYS (logged)
    superseded: int = 0  # caught-up reminders stored as skipped: a newer one goes out instead

    def add(self, batch):
        self.sent += batch.sent
        self.failed += batch.failed
        self.no_recipient += batch.no_recipient
        self.skipped += batch.skipped


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_recipient: int = 0
    skipped: int = 0
    retry: bool = False


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
    Reminder.objects.bulk_create(objs, ignore_conflicts=True, batch_size=1000)
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
    return Reminder.objects.filter(state__in=[State.PENDING, State.FAILED, State.NO_RECIPIENT]).exclude(
        obligation__state__in=OPEN_STATES
    ).update(state=State.SKIPPED, last_error=_("任务已提交或已通过，未发送提醒。"))


# --- 2. claim -----------------------------------------------------------------------------------


# Rows a later sweep tries again: a failed send, and a party that had nobody to receive it (users
# may have been added since).
RETRIED = (State.FAILED, State.NO_RECIPIENT)


def _claimable(*, now, started):
    """Rows a sweep may take: new ones, ones that failed before this sweep began, and
    ones whose sender's lease ran out (a crashed worker)."""
    return (
        Q(state=State.PENDING)
        | Q(state__in=RETRIED, claimed_at__lt=started, attempts__lt=max_attempts())
        | Q(state=State.SENDING, claimed_at__lt=now - lease(), attempts__lt=max_attempts())
    )


def claim_batch(model, *, now=None, started=None, limit=None, pks=None):
    """Take up to ``limit`` claimable rows with one conditional UPDATE.

    Returns ``(token, count)``: the rows won carry ``claim_token=token``. Two claimers
    racing for the same rows each get the rows the other did not update first.
    """
    now = now or timezone.now()
    started = started or now
    claimable = _claimable(now=now, started=started)
    candidates = model.objects.filter(claimable)
    if pks is not None:
        candidates = candidates.filter(pk__in=pks)
    candidate_pks = list(candidates.order_by("pk").values_list("pk", flat=True)[: limit or batch_size()])
    if not candidate_pks:
        return None, 0
    token = uuid.uuid4()
    count = (
        model.objects.filter(pk__in=candidate_pks)
        .filter(claimable)
        .update(state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    return (token, count) if count else (None, 0)


def reclaim_failed(model, *, token):
    """A Celery retry takes back its own failed rows (unless a sweep took them meanwhile)."""
    return model.objects.filter(claim_token=token, state=State.FAILED, attempts__lt=max_attempts()).update(
        state=State.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )


def release(model, *, token, error):
    """Give a claimed batch back (e.g. the broker is down): the next sweep takes it."""
    return model.objects.filter(claim_token=token, state=State.SENDING).update(
        state=State.FAILED, last_error=error[:2000]
    )


def dispatch(model, *, today=None, started=None, limit=None):
    """Claim batches until nothing is claimable and hand each to a Celery task.

    Without a broker the tasks run in-process (eager) and their results are summed up.
    """
    from . import tasks

    started = started or timezone.now()
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    kind = "reminder" if model is Reminder else "digest"
    while True:
        token, count = claim_batch(model, started=started, limit=limit)
        if not token:
            break
        result.batches += 1
        result.claimed += count
        try:
            outcome = tasks.send_batch.delay(kind, str(token), today.isoformat())
        except Exception as exc:  # broker unreachable: give the rows back, the next sweep retries
            release(model, token=token, error=f"{exc.__class__.__name__}: {exc}")
            if tasks.send_batch.app.conf.task_always_eager:
                raise  # in-process, this is a bug in the sender, not an outage: show it
            log.warning("could not queue %s batch %s: %s", kind, token, exc)
            result.dispatch_error = str(exc)
            break
        if getattr(outcome, "result", None) and isinstance(outcome.result, dict):  # eager run
            result.add(BatchResult(**{k: v for k, v in outcome.result.items() if k in BatchResult.__annotations__}))
    return result


# --- 3. send ------------------------------------------------------------------------------------


def _finish(model, row, token, state, *, error="", recipients="", channels=""):
    """Record the end of one row, only if this sender still holds it."""
    values = {"state": state, "last_error": error[:2000]}
    if recipients:
        values["recipients"] = recipients
    if channels:
        values["channels_done"] = channels
    if state == State.SENT:
        values["sent_at"] = timezone.now()
    return model.objects.filter(pk=row.pk, claim_token=token, state=State.SENDING).update(**values) == 1


def _complete(model, row, token, message, users, reached, channels_done):
    """Mark sent and write the in-app notifications in one transaction: exactly once.

    This runs once per message, so it is two plain SQL statements: building the same UPDATE and
    INSERT through the ORM cost more CPU than the database spent on them (bench_reminders).
    """
    names = [u.get_full_name() or u.username for u in users]
    recipients = "; ".join(filter(None, [join_list(names), ", ".join(reached)]))
    now = timezone.now()
    qn = connection.ops.quote_name
    prep = _db_value
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET state = %s, sent_at = %s, recipients = %s, "
            f"channels_done = %s, last_error = '' WHERE id = %s AND claim_token = %s AND state = %s",
            [State.SENT, prep(model, "sent_at", now), recipients, channels_done, row.pk,
             prep(model, "claim_token", token), State.SENDING],
        )
        if cursor.rowcount != 1:  # the lease ran out and another sender has the row
            return False
        if users:
            cursor.executemany(
                f"INSERT INTO {qn(Notification._meta.db_table)} "
                f"(user_id, category, title, body, link, read_at, created_at) VALUES (%s, %s, %s, %s, %s, NULL, %s)",
                [(u.pk, message.category, message.subject[:200], message.summary, message.link[:300],
                  prep(Notification, "created_at", now)) for u in users],
            )
    return True


def _db_value(model, field, value):
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _renew_if_needed(model, token, claimed_at):
    """Keep a long batch's claim alive so that nobody re-takes rows still being worked on."""
    now = timezone.now()
    if now - claimed_at > lease() / 2:
        model.objects.filter(claim_token=token, state=State.SENDING).update(claimed_at=now)
        return now
    return claimed_at


class Undeliverable(str):
    """A reason not to send now that may pass (nobody to send to yet): the row is logged as
    "no recipient" (its own state, not a failure: nothing went wrong in the sending) and is tried
    again by the next sweep, unlike a skip, which is final."""


def _send_rows(model, token, rows, prepare):
    """Send every claimed row through all channels. ``prepare(row)`` returns
    ``(message, users)``, ``(None, reason)`` to skip the row, or ``(None, Undeliverable(reason))``."""
    result = BatchResult(claimed=len(rows))
    if not rows:
        return result
    channels = external_channels()
    claimed_at = rows[0].claimed_at or timezone.now()
    try:
        for ch in channels:
            ch.open()
        for index, row in enumerate(rows):
            claimed_at = _renew_if_needed(model, token, claimed_at)
            message, users = prepare(row)
            if message is None:
                if isinstance(users, Undeliverable):
                    result.no_recipient += _finish(model, row, token, State.NO_RECIPIENT, error=str(users))
                else:
                    result.skipped += _finish(model, row, token, State.SKIPPED, error=str(users))
                continue
            done = [c for c in row.channels_done.split(",") if c]
            reached = []
            try:
                for ch in channels:
                    if ch.name in done:
                        continue
                    reached += ch.send(message, ch.reachable(users))
                    done.append(ch.name)
            except Exception as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                log.warning("%s %s failed: %s", model.__name__, row.pk, error)
                _finish(model, row, token, State.FAILED, error=error, channels=",".join(done))
                result.failed += 1
                if isinstance(exc, CONNECTION_ERRORS):
                    # The server is gone: the rest of the batch would wait for the same timeout.
                    rest = [r.pk for r in rows[index + 1:]]
                    result.failed += model.objects.filter(pk__in=rest, claim_token=token,
                                                          state=State.SENDING).update(
                        state=State.FAILED, last_error=error[:2000])
                    result.retry = True
                    break
                result.retry = True
                continue
            result.sent += _complete(model, row, token, message, users, reached, ",".join(done))
    finally:
        for ch in channels:
            ch.close()
    return result


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


def send_reminder_batch(*, token, today=None):
    today = today or timezone.localdate()
    rows = list(
        Reminder.objects.filter(claim_token=token, state=State.SENDING)
        .select_related(
            "obligation__task__action", "obligation__campaign", "obligation__estate__firm", "obligation__firm",
            "obligation__agency", "requested_by",
        )
        .order_by("pk")
    )
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

    return _send_rows(Reminder, token, rows, prepare)


def send_digest_batch(*, token, today=None):
    from . import selectors

    today = today or timezone.localdate()
    rows = list(Digest.objects.filter(claim_token=token, state=State.SENDING).select_related("user", "agency"))

    def prepare(digest):
        if not digest.user.is_active:
            return None, _("接收人已停用。")
        groups, count = selectors.overdue_digest_groups(agency=digest.agency, today=today)
        if not count:
            return None, _("本周没有逾期事项。")
        Digest.objects.filter(pk=digest.pk).update(overdue_count=count)
        return rendering.digest_message(digest, groups, count, today=today), [digest.user]

    return _send_rows(Digest, token, rows, prepare)


SENDERS = {"reminder": (Reminder, send_reminder_batch), "digest": (Digest, send_digest_batch)}


def send_batch(*, kind, token, today=None):
    _model, sender = SENDERS[kind]
    return sender(token=uuid.UUID(str(token)), today=today)


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
    _merge(result, sent)
    return result


def _count_kinds(plan):
    counts = defaultdict(int)
    for *_rest, kind, _offset in plan:
        counts[kind] += 1
    return dict(counts)


def _merge(result, other):
    result.batches += other.batches
    result.claimed += other.claimed
    result.sent += other.sent
    result.failed += other.failed
    result.no_recipient += other.no_recipient
    result.skipped += other.skipped
    result.dispatch_error = other.dispatch_error


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
    _merge(result, dispatch(Digest, today=today, started=started))
    return result


def flush(*, today=None, started=None):
    """Send whatever is claimable (hourly): failed rows and crashed workers' rows."""
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    skip_settled_reminders()
    for model in (Reminder, Digest):
        _merge(result, dispatch(model, today=today, started=started or timezone.now()))
    return result


def resend(model, *, pks):
    """Send the given failed (or never sent) rows now, e.g. from an admin action."""
    started = timezone.now() + datetime.timedelta(microseconds=1)
    token, count = claim_batch(model, started=started, pks=pks, limit=len(pks) or 1)
    if token:
        from . import tasks

        kind = "reminder" if model is Reminder else "digest"
        transaction.on_commit(lambda: tasks.send_batch.delay(kind, str(token), None))
    return count


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
    except IntegrityError:  # a second click raced us: the first one counts
        return existing.order_by("-seq").first(), False
    token, _count = claim_batch(Reminder, pks=[reminder.pk])
    if token:
        from . import tasks

        transaction.on_commit(lambda: tasks.send_batch.delay("reminder", str(token), today.isoformat()))
    return reminder, True


# --- in-app -------------------------------------------------------------------------------------


def notify(*, users, message):
    """Immediate notification outside the reminder log (e.g. "your evidence was returned"):
    in-app rows now, email after commit through the channels (best effort, no log)."""
    users = list(users)
    Notification.objects.bulk_create(
        Notification(user=u, category=message.category, title=message.subject[:200], body=message.summary,
                     link=message.link)
        for u in users
    )

    def send():
        for ch in external_channels():
            try:
                ch.open()
                ch.send(message, ch.reachable(users))
            except Exception as exc:
                log.warning("notify via %s failed: %s", ch.name, exc)
            finally:
                ch.close()

    transaction.on_commit(send)


def notification_mark_read(*, notification):
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
