"""The daily sweeps of the suggestion box: late entries reminded and escalated, old personal data erased.

Overdue (``deadlines.overdue_q``): an entry not acknowledged after its acknowledgement deadline, or not
answered after its answer deadline (counted again from a reopening). For each late *stage*
("acknowledge" while new, then "answer") the sweep climbs three *levels*, by the working days since the
deadline (core/workdays.py, so a holiday stops the clock)::

    level     when                                   who hears            outbox kind
    remind    the first day it is late               the handling firm    suggestions.overdue
    street    1 more working day late (>= 2)         the estate's street  suggestions.escalated
    district  2 more working days late (>= 3)        the district bureau  suggestions.escalated

Each (entry, round, stage, level) happens EXACTLY ONCE, however often and in how many processes the
sweep runs, in two locks:

1. the batch's entries are locked (``select_for_update``: row locks on PostgreSQL, the write lock on
   SQLite) before the sweep reads which levels they already reached (their private
   :class:`~suggestions.models.SuggestionEvent` OVERDUE rows, whose text names round, stage and level);
   a second sweep waits for the first to commit and then finds the events;
2. the messages are queued under a key naming entry, round, stage and level, dated with the deadline
   (not the day of the sweep): the outbox's unique key stores a message once even if (1) failed.

A *round* is the entry's ``reopen_count``: a reopened entry that is late again is reminded again.
A sweep that missed days catches up by itself (levels are judged on today's working-day count; each
level not yet reached is done once, lower levels first). Every batch costs the same few queries
whatever its size: the candidates' ids, the locked rows, the calendar, the events already written,
one INSERT of new events and one per message kind.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import workdays
from notifications import outbox
from notifications.registry import Recipient

from . import deadlines, messaging, services
from .models import Suggestion, SuggestionEvent

State = Suggestion.State
LEVELS = ("remind", "street", "district")
# Working days late (since the deadline, today included) from which each level is due.
LEVEL_AFTER = {"remind": 0, "street": 2, "district": 3}
# History texts (data, stored in Chinese like services.ERASED_TEXT; shown to the firm in its history).
STAGE_TEXT = {"acknowledge": "受理", "answer": "答复"}
EVENT_TEXT = "超过{stage}期限（{due:%Y-%m-%d}）：{level}"
LEVEL_TEXT = {"remind": "已提醒办理企业", "street": "已上报街道", "district": "已上报区主管部门"}


def event_text(stage, level, due, round_):
    """The OVERDUE event of one level: also the sweep's record that the level was reached."""
    # Not translated: the text is also the key the sweep finds the level by, whatever the language.
    again = "（重新办理）" if round_ else ""
    return again + EVENT_TEXT.format(stage=STAGE_TEXT[stage], due=due, level=LEVEL_TEXT[level])


def message_key(suggestion_id, round_, stage, level):
    return f"{suggestion_id}/r{round_}/{stage}/{level}"


@dataclass
class OverdueResult:
    today: datetime.date
    late: int = 0  # late entries seen
    reminded: int = 0
    to_street: int = 0
    to_district: int = 0
    batches: int = 0
    levels: dict = field(default_factory=dict)


def late_stage(suggestion, today):
    """("acknowledge" | "answer", due date) of the entry's late stage today, or None."""
    if suggestion.state == State.NEW and suggestion.acknowledge_due < today:
        return "acknowledge", suggestion.acknowledge_due
    if suggestion.state in Suggestion.OPEN_STATES and suggestion.answered_at is None \
            and suggestion.answer_due < today:
        return "answer", suggestion.answer_due
    return None


def levels_due(late_workdays):
    """The levels an entry late by this many working days has reached."""
    return [level for level in LEVELS if late_workdays >= LEVEL_AFTER[level]]


def sweep_overdue(*, today=None, batch=None):
    """Remind and escalate every late entry; returns :class:`OverdueResult`."""
    today = today or timezone.localdate()
    batch = batch or getattr(settings, "SUGGESTION_SWEEP_BATCH", 500)
    result = OverdueResult(today=today)
    calendar = workdays.WorkdayCalendar(today)
    last = 0
    while True:
        ids = list(Suggestion.private_objects.filter(deadlines.overdue_q(today), pk__gt=last)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return result
        last = ids[-1]
        result.batches += 1
        _sweep_batch(ids, today, calendar, result)


def _sweep_batch(ids, today, calendar, result):
    with transaction.atomic():
        rows = list(Suggestion.private_objects.select_for_update(of=("self",))
                    .filter(deadlines.overdue_q(today), pk__in=ids)
                    .select_related("estate", "firm").order_by("pk"))
        if not rows:
            return
        stages = {r.pk: late_stage(r, today) for r in rows}
        dues = [stage_due[1] for stage_due in stages.values() if stage_due]
        if dues:  # one query for the batch's span (the calendar keeps the days it has read)
            calendar.workdays_between(min(dues), today)
        done = set(SuggestionEvent.objects.filter(suggestion_id__in=[r.pk for r in rows],
                                                  kind=SuggestionEvent.Kind.OVERDUE)
                   .values_list("suggestion_id", "text"))
        events, reminders, escalations = [], [], []
        for row in rows:
            if stages[row.pk] is None:
                continue
            result.late += 1
            stage, due = stages[row.pk]
            late = calendar.workdays_between(due, today)
            for level in levels_due(late):
                text = event_text(stage, level, due, row.reopen_count)
                if (row.pk, text) in done:
                    continue
                recipient = _recipient(row, level)
                events.append(SuggestionEvent(suggestion=row, kind=SuggestionEvent.Kind.OVERDUE, state=row.state,
                                              text=text, public=False))
                result.levels[level] = result.levels.get(level, 0) + 1
                if recipient is None:  # no firm or no street on record: the level is passed, nobody to tell
                    continue
                payload = messaging.payload(row, stage=stage, due=str(due), days=late, level=level,
                                            round=row.reopen_count)
                # Dated with the deadline: the same level of the same deadline is one key whatever the day.
                item = (message_key(row.pk, row.reopen_count, stage, level), payload, [recipient], due)
                (reminders if level == "remind" else escalations).append(item)
        if events:
            SuggestionEvent.objects.bulk_create(events)
        if reminders:
            outbox.enqueue_many(messaging.OVERDUE, reminders)
        if escalations:
            outbox.enqueue_many(messaging.ESCALATED, escalations)
        result.reminded += len(reminders)
        result.to_street += sum(1 for key, *_rest in escalations if key.endswith("/street"))
        result.to_district += sum(1 for key, *_rest in escalations if key.endswith("/district"))


def _recipient(row, level):
    if level == "remind":
        return Recipient.firm(row.firm_id) if row.firm_id else None
    if level == "street":
        return Recipient.agency(row.street_id) if row.street_id else None
    return Recipient.agency(row.district_id)


def erase_expired(*, now=None):
    """The retention job: personal data of entries finished longer than SUGGESTION_RETENTION_DAYS ago."""
    return services.erase_personal_data(now=now)
