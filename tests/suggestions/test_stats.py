"""Statistics of the suggestion box on a hand-built set (suggestions/selectors/stats.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from suggestions.models import Suggestion
from suggestions.selectors import stats
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
State = Suggestion.State
DAY = datetime.date(2026, 3, 2)  # a Monday
TODAY = datetime.date(2026, 3, 31)
MARCH = stats.Range(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))


def make(submit, estate=None, *, hours_to_ack=None, hours_to_resolve=None, ack_on_time=None, answer_on_time=None,
         state=State.NEW, rating=None, reopened=False, hidden=False, day=DAY, **fields):
    entry = submit(estate=estate, received=at(day))
    sent = at(day)
    values = {"state": state, "hidden": hidden, "rating": rating, "reopen_count": 1 if reopened else 0, **fields}
    if hours_to_ack is not None:
        values.update(acknowledged_at=sent + datetime.timedelta(hours=hours_to_ack),
                      acknowledged_on_time=ack_on_time if ack_on_time is not None else True)
    if hours_to_resolve is not None:
        values.update(finished_at=sent + datetime.timedelta(hours=hours_to_resolve),
                      answered_at=sent + datetime.timedelta(hours=hours_to_resolve),
                      answered_on_time=answer_on_time if answer_on_time is not None else True)
    Suggestion.private_objects.filter(pk=entry.pk).update(**values)
    return entry


@pytest.fixture
def hand_built(world, submit):
    """Estate HS001: 4 entries; HS002 (same firm, other street): 1; JB001 (other firm, other district): 1."""
    make(submit, hours_to_ack=2, hours_to_resolve=10, state=State.RESOLVED, rating=5)
    make(submit, hours_to_ack=4, hours_to_resolve=30, state=State.RESOLVED, rating=3, reopened=True)
    make(submit, hours_to_ack=30, ack_on_time=False, hours_to_resolve=60, answer_on_time=False, state=State.CLOSED)
    make(submit)  # never acknowledged, deadlines passed long ago: late on both counts
    make(submit, world.estate2, hours_to_ack=1)  # acknowledged, answer deadline passed: answered late
    make(submit, world.other_estate, hours_to_ack=8, hours_to_resolve=20, state=State.RESOLVED, rating=4)
    make(submit, hidden=True)  # abuse: not counted
    make(submit, day=datetime.date(2026, 2, 27))  # before the range


def by_key(rows):
    return {r["key"]: r for r in rows}


def test_estate_figures(world, hand_built):
    rows = by_key(stats.suggestion_stats(user=world.city_user, by="estate", date_range=MARCH, today=TODAY))
    hs1 = rows[world.estate.pk]
    assert hs1["count"] == 4
    assert (hs1["ack_on_time"], hs1["ack_judged"], hs1["ack_pct"]) == (2, 4, 50.0)
    assert (hs1["answer_on_time"], hs1["answer_judged"], hs1["answer_pct"]) == (2, 4, 50.0)
    assert hs1["median_ack_hours"] == 4.0  # 2, 4, 30
    assert hs1["median_resolve_hours"] == 20.0  # resolved only: 10, 30 -> mean of the two middle
    assert (hs1["rating_mean"], hs1["rated"]) == (4.0, 2)
    assert (hs1["reopened"], hs1["finished"], hs1["reopen_pct"]) == (1, 3, 33.3)
    assert hs1["label"] == "月湖花园（HS001）"
    hs2 = rows[world.estate2.pk]
    assert (hs2["count"], hs2["ack_pct"], hs2["answer_pct"], hs2["median_ack_hours"]) == (1, 100.0, 0.0, 1.0)
    assert hs2["median_resolve_hours"] is None and hs2["rating_mean"] is None and hs2["reopen_pct"] is None


def test_firm_street_and_district_groupings(world, hand_built):
    firms = by_key(stats.suggestion_stats(user=world.city_user, by="firm", date_range=MARCH, today=TODAY))
    assert firms[world.firm.pk]["count"] == 5 and firms[world.other_firm.pk]["count"] == 1
    assert firms[world.firm.pk]["median_ack_hours"] == 3.0  # 1, 2, 4, 30
    streets = by_key(stats.suggestion_stats(user=world.city_user, by="street", date_range=MARCH, today=TODAY))
    assert {k: r["count"] for k, r in streets.items()} == {world.street.pk: 4, world.other_street.pk: 1,
                                                           world.far_street.pk: 1}
    districts = by_key(stats.suggestion_stats(user=world.city_user, by="district", date_range=MARCH, today=TODAY))
    assert districts[world.district.pk]["count"] == 5 and districts[world.other_district.pk]["count"] == 1


def test_the_scope_narrows_the_figures(world, hand_built):
    rows = stats.suggestion_stats(user=world.district_user, by="district", date_range=MARCH, today=TODAY)
    assert [r["key"] for r in rows] == [world.district.pk]
    rows = stats.suggestion_stats(user=world.street_user, by="estate", date_range=MARCH, today=TODAY)
    assert [r["key"] for r in rows] == [world.estate.pk]


def test_entries_not_yet_due_are_not_judged(world, submit):
    make(submit, day=TODAY)
    row = stats.suggestion_stats(user=world.city_user, by="estate", date_range=MARCH, today=TODAY)[0]
    assert (row["count"], row["ack_judged"], row["answer_judged"], row["ack_pct"]) == (1, 0, 0, None)


def test_an_empty_range_has_no_rows(world, hand_built):
    empty = stats.Range(datetime.date(2025, 1, 1), datetime.date(2025, 1, 31))
    assert stats.suggestion_stats(user=world.city_user, by="firm", date_range=empty, today=TODAY) == []
    assert stats.totals([])["count"] == 0 and stats.totals([])["ack_pct"] is None


def test_range_ends_are_local_days_included(world, submit):
    make(submit, day=datetime.date(2026, 3, 31))
    make(submit, day=datetime.date(2026, 3, 1))
    rows = stats.suggestion_stats(user=world.city_user, by="estate", date_range=MARCH, today=TODAY)
    assert rows[0]["count"] == 2


def test_totals(world, hand_built):
    rows = stats.suggestion_stats(user=world.city_user, by="estate", date_range=MARCH, today=TODAY)
    total = stats.totals(rows)
    assert total["count"] == 6 and total["rated"] == 3 and total["rating_mean"] == 4.0


def test_the_query_count_does_not_grow_with_the_entries(world, submit):
    make(submit, hours_to_ack=1, hours_to_resolve=3, state=State.RESOLVED)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            stats.suggestion_stats(user=world.district_user, by="estate", date_range=MARCH, today=TODAY)
        return len(ctx)

    before = count()
    for estate in (world.estate, world.estate2):
        for hours in (2, 5, 9):
            make(submit, estate, hours_to_ack=hours, hours_to_resolve=hours * 3, state=State.RESOLVED, rating=4)
    assert count() == before == (1 if connection.vendor == "postgresql" else 3)


def test_default_range_is_the_last_twelve_months():
    r = stats.default_range(datetime.date(2026, 12, 2))
    assert (r.start, r.end) == (datetime.date(2025, 12, 3), datetime.date(2026, 12, 2))
