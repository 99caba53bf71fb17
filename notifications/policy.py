"""Which deadlines are reminded today: the reminder rule turned inside out.

A rule says "remind 7, 3 and 1 days before the deadline, on the day, and while overdue: the
day after the deadline, then every 3 days" (overdue by 1, 4, 7… days). The sweep asks the
opposite question — for today, which due dates get which reminder? — so that it can fetch
exactly those obligations with one indexed query on ``(state, due_date)`` instead of looking
at every obligation.

In working-day mode a deadline on a non-working day moves to the next working day (E), and
reminders fall on working days only: "n working days before" is the working day T with
``add_workdays(T, n) == E``; overdue reminders fall on ``add_workdays(E, 1 + k * N)`` (k ≥ 0).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings

from core.workdays import WorkdayCalendar

ONE_DAY = datetime.timedelta(days=1)
BEFORE, DUE, OVERDUE = "before", "due", "overdue"


@dataclass(frozen=True)
class Rule:
    enabled: bool = True
    days_before: tuple = (7, 3, 1)
    on_due_day: bool = True
    overdue_every: int = 3
    in_workdays: bool = False


def default_rule():
    conf = getattr(settings, "REMINDER_DEFAULT_POLICY", {})
    return Rule(**{**Rule().__dict__, **conf})


def overdue_horizon():
    """Overdue reminders stop this many days after the deadline (the weekly digest goes on)."""
    return getattr(settings, "REMINDER_OVERDUE_HORIZON_DAYS", 120)


def due_dates_for(rule: Rule, today: datetime.date, calendar: WorkdayCalendar | None = None):
    """{due_date: (kind, offset)} of the obligations ``rule`` reminds on ``today``."""
    if not rule.enabled:
        return {}
    if rule.in_workdays:
        return _workday_dates(rule, today, calendar or WorkdayCalendar())
    dates = {}
    horizon = overdue_horizon()
    if rule.overdue_every:
        # The first overdue reminder goes out the day after the deadline, then every N days.
        for days in range(1, horizon + 1, rule.overdue_every):
            dates[today - datetime.timedelta(days=days)] = (OVERDUE, days)
    if rule.on_due_day:
        dates[today] = (DUE, 0)
    for days in rule.days_before:
        dates[today + datetime.timedelta(days=days)] = (BEFORE, days)
    return dates


def _span(after: datetime.date, upto: datetime.date):
    """Calendar dates in (after, upto]."""
    day = after + ONE_DAY
    while day <= upto:
        yield day
        day += ONE_DAY


def _workday_dates(rule, today, cal):
    if not cal.is_workday(today):
        return {}
    dates = {}
    if rule.overdue_every:
        # E = today - k*N working days; the deadlines that move to E are (previous workday of E, E].
        horizon = overdue_horizon()
        k = 0
        while True:
            n = 1 + k * rule.overdue_every
            effective = cal.add_workdays(today, -n)
            if (today - effective).days > horizon:
                break
            for day in _span(cal.add_workdays(effective, -1), effective):
                dates[day] = (OVERDUE, n)
            k += 1
    if rule.on_due_day:
        for day in _span(cal.add_workdays(today, -1), today):
            dates[day] = (DUE, 0)
    for n in rule.days_before:
        for day in _span(cal.add_workdays(today, n - 1), cal.add_workdays(today, n)):
            dates[day] = (BEFORE, n)
    return dates
