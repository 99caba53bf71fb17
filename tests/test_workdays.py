"""The working-day calendar (core/workdays.py) with real 2024–2025 holidays and make-up days."""

import datetime
import logging

import pytest

from core import workdays
from core.models import CalendarDay

D = datetime.date.fromisoformat
pytestmark = pytest.mark.django_db


def test_a_statutory_holiday_on_a_weekday_is_not_a_workday():
    assert workdays.is_workday(D("2024-10-01")) is False  # National Day, a Tuesday


def test_a_make_up_sunday_is_a_workday():
    assert workdays.is_workday(D("2024-02-04")) is True  # Spring Festival make-up day
    assert workdays.is_workday(D("2025-01-26")) is True


def test_an_ordinary_weekend_is_not_a_workday():
    assert workdays.is_workday(D("2025-03-08")) is False


def test_add_workdays_skips_the_spring_festival_2025():
    # Mon 27 Jan is the last working day before the holiday (28 Jan – 4 Feb).
    assert workdays.add_workdays(D("2025-01-27"), 1) == D("2025-02-05")


def test_add_workdays_counts_a_make_up_saturday():
    # National Day 2024: 1–7 Oct off, Sat 12 Oct is a make-up working day.
    assert workdays.add_workdays(D("2024-10-08"), 4) == D("2024-10-12")


def test_add_workdays_backwards_skips_the_holiday():
    assert workdays.add_workdays(D("2025-10-09"), -1) == D("2025-09-30")


def test_add_zero_workdays_is_the_same_day():
    assert workdays.add_workdays(D("2025-10-04"), 0) == D("2025-10-04")


def test_workdays_between_counts_the_half_open_span():
    # (30 Sep, 12 Oct 2025]: 1–8 Oct off, 9, 10 and make-up Sat 11 Oct work, Sun 12 off.
    assert workdays.workdays_between(D("2025-09-30"), D("2025-10-12")) == 3


def test_workdays_between_is_negative_backwards():
    assert workdays.workdays_between(D("2025-10-12"), D("2025-09-30")) == -3


def test_workdays_between_inverts_add_workdays():
    start = D("2024-02-01")
    assert workdays.workdays_between(start, workdays.add_workdays(start, 10)) == 10


def test_next_workday_moves_a_holiday_deadline_to_the_first_working_day():
    assert workdays.next_workday(D("2025-10-01")) == D("2025-10-09")
    assert workdays.next_workday(D("2025-10-09")) == D("2025-10-09")


def test_a_calendar_day_row_wins_over_the_library():
    CalendarDay.objects.create(date=D("2025-03-10"), is_workday=False, note="台风停工")
    assert workdays.is_workday(D("2025-03-10")) is False
    assert workdays.add_workdays(D("2025-03-07"), 1) == D("2025-03-11")


def test_a_year_the_library_does_not_know_falls_back_to_weekends(caplog):
    workdays._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        assert workdays.is_workday(D("2031-01-01")) is True  # a Wednesday; no data yet
        assert workdays.is_workday(D("2031-01-04")) is False  # a Saturday
    assert "2031" in caplog.text


def test_rows_entered_for_an_unknown_year_are_used():
    CalendarDay.objects.create(date=D("2031-01-01"), is_workday=False, note="元旦")
    assert workdays.is_workday(D("2031-01-01")) is False


HOLIDAY_2032 = {  # one day off of each statutory holiday (the dates are only plausible)
    "new_year": "2032-01-01", "spring_festival": "2032-02-11", "qingming": "2032-04-04",
    "labour_day": "2032-05-01", "dragon_boat": "2032-06-12", "mid_autumn": "2032-09-19", "national_day": "2032-10-01",
}


def test_coverage_gaps_names_unknown_years_until_every_statutory_holiday_is_entered():
    CalendarDay.objects.create(date=D("2032-01-01"), is_workday=False, note="元旦", holiday="new_year")
    assert workdays.coverage_gaps([2025, 2031, 2032]) == [2031, 2032]  # 2032 has New Year only
    for holiday, day in HOLIDAY_2032.items():
        CalendarDay.objects.update_or_create(date=D(day), defaults={"is_workday": False, "holiday": holiday})
    assert workdays.coverage_gaps([2025, 2031, 2032]) == [2031]


def test_missing_holidays_names_each_holiday_still_to_enter():
    CalendarDay.objects.create(date=D("2032-01-01"), is_workday=False, holiday="new_year")
    CalendarDay.objects.create(date=D("2032-10-01"), is_workday=False, holiday="national_day")
    # A make-up working day tagged with its holiday is not a day off of it.
    CalendarDay.objects.create(date=D("2032-02-07"), is_workday=True, holiday="spring_festival", note="春节调休上班")
    gaps = workdays.missing_holidays([2032])
    assert [h.value for h in gaps[2032]] == ["spring_festival", "qingming", "labour_day", "dragon_boat",
                                             "mid_autumn"]
    assert workdays.missing_holidays([2025]) == {}  # chinese-calendar knows 2025


def test_a_calendar_reads_the_overrides_once_for_its_span(django_assert_num_queries):
    cal = workdays.WorkdayCalendar(D("2025-01-01"), D("2025-12-31"))
    with django_assert_num_queries(0):
        assert cal.workdays_between(D("2025-01-01"), D("2025-12-31")) == 248  # 2025 has 248 working days


def test_days_entered_before_the_holiday_field_get_it_from_their_note():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("core.migrations.0002_calendarday_holiday")
    CalendarDay.objects.create(date=D("2032-02-11"), is_workday=False, note="春节")
    CalendarDay.objects.create(date=D("2032-02-08"), is_workday=True, note="春节调休上班")
    CalendarDay.objects.create(date=D("2032-03-01"), is_workday=False, note="地方停工")
    migration.holidays_from_notes(apps, None)
    assert dict(CalendarDay.objects.values_list("note", "holiday")) == {
        "春节": "spring_festival", "春节调休上班": "", "地方停工": ""}
