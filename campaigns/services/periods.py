"""Periods of a task: once, monthly or quarterly within its window."""

import calendar
from datetime import date, timedelta

from ..models import (
    Recurrence,
)


def _month_end(d):
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _quarter_start(d):
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _quarter_end(d):
    start = _quarter_start(d)
    return _month_end(date(start.year, start.month + 2, 1))


def task_periods(*, recurrence, window_start, deadline):
    """[(period_start, period_end, due_date)] of a task, in order."""
    if recurrence == Recurrence.ONCE:
        return [(window_start, deadline, deadline)]
    begin, end = (date(window_start.year, window_start.month, 1), _month_end) if recurrence == Recurrence.MONTHLY \
        else (_quarter_start(window_start), _quarter_end)
    periods, cursor = [], begin
    while cursor <= deadline:
        last = end(cursor)
        p_start, p_end = max(cursor, window_start), min(last, deadline)
        periods.append((p_start, p_end, p_end))
        cursor = last + timedelta(days=1)
    return periods


def _periods_of(task):
    return task_periods(recurrence=task.recurrence, window_start=task.window_start, deadline=task.deadline)
