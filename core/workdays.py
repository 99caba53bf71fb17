"""The working-day calendar: the one place that knows whether a day is a working day in China.

Order of authority for a date:

1. a ``core.models.CalendarDay`` row (staff edit these: later years, local exceptions);
2. chinese-calendar (statutory holidays and make-up working days, known up to its release year);
3. for years the library does not know: Monday–Friday are working days. This fallback is
   logged once per year and reported by :func:`missing_holidays` / :func:`coverage_gaps`, so the
   admin can show which statutory holidays of that year still have to be entered: a year is
   complete when each of the seven (New Year, Spring Festival, Qingming, Labour Day, Dragon
   Boat, Mid-Autumn, National Day) has at least one day off entered, not after the first row.

Any deadline may be given in calendar days or in working days; the helpers here do the latter:

* ``is_workday(day)``
* ``add_workdays(day, n)``: the n-th working day after ``day`` (before it for negative n);
  ``add_workdays(day, 0) == day``.
* ``workdays_between(a, b)``: the number of working days in (a, b]; negative when b < a, so that
  ``workdays_between(a, add_workdays(a, n)) == n``.
* ``next_workday(day)``: ``day`` if it is a working day, else the first working day after it (a
  deadline falling on a holiday moves to the next working day).

Each call reads the CalendarDay rows of the span it looks at in one query; code that asks many
questions about one period builds a :class:`WorkdayCalendar` once and reuses it.
"""

import datetime
import logging

import chinese_calendar

log = logging.getLogger(__name__)

_warned_years: set[int] = set()
ONE_DAY = datetime.timedelta(days=1)


def library_knows(year: int) -> bool:
    """Whether chinese-calendar has holiday data for ``year``."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _library_is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinese-calendar has no holiday data for %s: counting Monday-Friday as working days "
                "except for CalendarDay rows. Enter that year's holidays in the admin.",
                day.year,
            )
        return day.weekday() < 5


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


class WorkdayCalendar:
    """Working-day arithmetic over a preloaded span of CalendarDay overrides.

    The span grows on demand (one more query per extension), so callers need not guess it.
    """

    def __init__(self, start: datetime.date | None = None, end: datetime.date | None = None):
        self._overrides: dict[datetime.date, bool] = {}
        self._start = self._end = None
        if start is not None:
            self._load(_as_date(start), _as_date(end or start))

    def _load(self, start, end):
        from core.models import CalendarDay

        if self._start is not None and start >= self._start and end <= self._end:
            return
        if self._start is not None:
            # Load only the missing edges, keeping the span contiguous.
            start, end = min(start, self._start), max(end, self._end)
        rows = CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
        self._overrides.update(rows)
        self._start, self._end = start, end

    def is_workday(self, day) -> bool:
        day = _as_date(day)
        self._load(day, day)
        if day in self._overrides:
            return self._overrides[day]
        return _library_is_workday(day)

    def add_workdays(self, day, n: int) -> datetime.date:
        day = _as_date(day)
        if n == 0:
            return day
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        # Two calendar days per working day plus the longest holiday covers any real span.
        reach = datetime.timedelta(days=remaining * 2 + 14)
        self._load(min(day, day + step * reach.days), max(day, day + step * reach.days))
        current = day
        while remaining:
            current += step
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, a, b) -> int:
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        self._load(a, b)
        count = 0
        current = a + ONE_DAY
        while current <= b:
            if self.is_workday(current):
                count += 1
            current += ONE_DAY
        return count

    def next_workday(self, day) -> datetime.date:
        day = _as_date(day)
        return day if self.is_workday(day) else self.add_workdays(day, 1)

    def previous_workday(self, day) -> datetime.date:
        """The last working day strictly before ``day``."""
        return self.add_workdays(_as_date(day), -1)


def is_workday(day) -> bool:
    return WorkdayCalendar().is_workday(day)


def add_workdays(day, n: int) -> datetime.date:
    return WorkdayCalendar().add_workdays(day, n)


def workdays_between(a, b) -> int:
    return WorkdayCalendar().workdays_between(a, b)


def next_workday(day) -> datetime.date:
    return WorkdayCalendar().next_workday(day)


def missing_holidays(years) -> dict[int, list]:
    """``{year: [CalendarDay.Holiday, ...]}`` for the years among ``years`` that chinese-calendar
    does not know and for which some statutory holiday has no day off entered yet (in the
    order of the year). A year with all seven entered, or known to the library, is absent."""
    from core.models import CalendarDay

    unknown = sorted({y for y in years if not library_knows(y)})
    if not unknown:
        return {}
    entered = set(
        CalendarDay.objects.filter(
            is_workday=False,
            date__gte=datetime.date(unknown[0], 1, 1),
            date__lte=datetime.date(unknown[-1], 12, 31),
        ).exclude(holiday="").values_list("date__year", "holiday")
    )
    gaps = {}
    for year in unknown:
        missing = [h for h in CalendarDay.Holiday if (year, h.value) not in entered]
        if missing:
            gaps[year] = missing
    return gaps


def coverage_gaps(years) -> list[int]:
    """Years among ``years`` whose statutory holidays are not all known (see
    :func:`missing_holidays`): on the missing holidays only weekends count as days off."""
    return sorted(missing_holidays(years))
