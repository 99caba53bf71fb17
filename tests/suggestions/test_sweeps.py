"""The daily sweeps: late entries reminded to the firm, escalated to the street and the district, each step
exactly once per entry, stage and round, in working days (2025 National Day); the retention job."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import CalendarDay
from notifications.models import OutboxMessage
from suggestions import messaging, services, sweeps, tasks
from suggestions.models import Suggestion, SuggestionEvent
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
D = datetime.date
# Received Tue 30 Sep 2025, the eve of the National Day holiday (1–8 Oct; Sat 11 Oct is a working day):
# to acknowledge by Thu 9 Oct, to answer by Fri 10 Oct.
EVE = at(D(2025, 9, 30), 10)


def sent(kind=None):
    qs = OutboxMessage.objects.filter(kind__in=[messaging.OVERDUE, messaging.ESCALATED])
    if kind:
        qs = qs.filter(kind=kind)
    return sorted((m.key.split("/", 1)[1], m.recipient_kind, m.agency_id or m.firm_id) for m in qs)


def marks(entry):
    return list(entry.events.filter(kind=SuggestionEvent.Kind.OVERDUE).values_list("text", flat=True))


@pytest.fixture
def late(submit):
    entry = submit(received=EVE)
    assert (entry.acknowledge_due, entry.answer_due) == (D(2025, 10, 9), D(2025, 10, 10))
    return entry


def test_nothing_is_late_during_the_holiday_or_on_the_due_day(late):
    for day in (D(2025, 10, 1), D(2025, 10, 5), D(2025, 10, 8), D(2025, 10, 9)):
        assert sweeps.sweep_overdue(today=day).late == 0
    assert sent() == [] and marks(late) == []


def test_reminded_then_escalated_to_the_street_then_the_district_by_working_days(world, late):
    sweeps.sweep_overdue(today=D(2025, 10, 10))  # Fri: 1 working day late
    assert sent() == [("r0/acknowledge/remind", "firm", world.firm.pk)]
    sweeps.sweep_overdue(today=D(2025, 10, 11))  # Sat, a make-up working day: 2 late
    assert sent(messaging.ESCALATED) == [("r0/acknowledge/street", "agency", world.street.pk)]
    sweeps.sweep_overdue(today=D(2025, 10, 12))  # Sun: still 2
    assert len(sent()) == 2
    sweeps.sweep_overdue(today=D(2025, 10, 13))  # Mon: 3
    assert sent(messaging.ESCALATED) == [("r0/acknowledge/district", "agency", world.district.pk),
                                         ("r0/acknowledge/street", "agency", world.street.pk)]
    assert marks(late) == ["超过受理期限（2025-10-09）：已提醒办理企业", "超过受理期限（2025-10-09）：已上报街道",
                           "超过受理期限（2025-10-09）：已上报区主管部门"]
    assert not late.events.filter(kind=SuggestionEvent.Kind.OVERDUE, public=True).exists()


def test_a_calendar_day_row_moves_the_escalation(world, late):
    CalendarDay.objects.create(date=D(2025, 10, 13), is_workday=False, note="台风停工")
    sweeps.sweep_overdue(today=D(2025, 10, 13))  # Mon off: Fri and Sat only, 2 working days late
    assert [k for k, _kind, _id in sent()] == ["r0/acknowledge/remind", "r0/acknowledge/street"]
    sweeps.sweep_overdue(today=D(2025, 10, 14))
    assert len(sent()) == 3


def test_a_sweep_that_missed_days_catches_up_each_level_once(late):
    result = sweeps.sweep_overdue(today=D(2025, 10, 20))
    assert (result.reminded, result.to_street, result.to_district) == (1, 1, 1)
    assert len(marks(late)) == 3


def test_running_twice_sends_and_records_nothing_twice(late):
    first = sweeps.sweep_overdue(today=D(2025, 10, 13))
    again = sweeps.sweep_overdue(today=D(2025, 10, 13))
    assert (first.reminded, first.to_street, first.to_district) == (1, 1, 1)
    assert (again.reminded, again.to_street, again.to_district, again.late) == (0, 0, 0, 1)
    assert len(sent()) == 3 and len(marks(late)) == 3


def test_a_second_process_that_did_not_see_the_first_stores_no_message_twice(late):
    """The race's worst case: the second sweep read the entry before the first recorded its steps (here: the
    records are gone). The outbox keys (entry, round, stage, level; dated with the deadline) still store each
    message once, whatever day the second sweep runs."""
    sweeps.sweep_overdue(today=D(2025, 10, 13))
    SuggestionEvent.objects.filter(kind=SuggestionEvent.Kind.OVERDUE).delete()
    sweeps.sweep_overdue(today=D(2025, 10, 14))
    assert len(sent()) == 3
    assert set(OutboxMessage.objects.filter(kind=messaging.OVERDUE).values_list("date", flat=True)) == {
        D(2025, 10, 9)}


def test_an_acknowledged_entry_late_to_answer_is_its_own_stage(world, late):
    sweeps.sweep_overdue(today=D(2025, 10, 10))
    with _on(D(2025, 10, 13)):
        services.suggestion_acknowledge(suggestion=late, user=world.firm_user)
    sweeps.sweep_overdue(today=D(2025, 10, 13))  # answer due Fri 10: Sat and Mon late
    assert [k for k, _kind, _id in sent()] == ["r0/acknowledge/remind", "r0/answer/remind", "r0/answer/street"]


def test_an_answered_or_finished_entry_is_not_late(world, late):
    with _on(D(2025, 10, 9)):
        services.suggestion_reply(suggestion=late, user=world.firm_user, text="已安排维修。")
    assert sweeps.sweep_overdue(today=D(2025, 10, 20)).late == 0


def test_a_reopened_entry_late_again_is_a_new_round(world, late):
    sweeps.sweep_overdue(today=D(2025, 10, 10))
    with _on(D(2025, 10, 10)):
        services.suggestion_resolve(suggestion=late, user=world.firm_user, text="路灯已修好。")
    with _on(D(2025, 10, 14)):
        services.suggestion_reopen(suggestion=late, text="又坏了。")
    late.refresh_from_db()
    assert late.answer_due == D(2025, 10, 16)
    sweeps.sweep_overdue(today=D(2025, 10, 17))
    assert [k for k, _kind, _id in sent()] == ["r0/acknowledge/remind", "r1/answer/remind"]
    assert marks(late)[-1] == "（重新办理）超过答复期限（2025-10-16）：已提醒办理企业"


def test_without_a_street_the_level_passes_and_the_district_still_hears(world, submit):
    entry = submit(received=EVE)
    Suggestion.private_objects.filter(pk=entry.pk).update(street=None)  # an entry kept without its street
    sweeps.sweep_overdue(today=D(2025, 10, 13))
    assert [k for k, _kind, _id in sent()] == ["r0/acknowledge/district", "r0/acknowledge/remind"]
    assert len(marks(entry)) == 3


def test_the_sweep_costs_the_same_queries_for_3_and_20_late_entries(world, submit):
    """(On SQLite an INSERT holds at most ~49 outbox rows, its parameter limit: 20 entries' 40 escalations fit.)"""
    for i in range(3):
        submit(received=EVE, estate=world.estate2 if i % 2 else world.estate)
    with CaptureQueriesContext(connection) as few:
        sweeps.sweep_overdue(today=D(2025, 10, 13))
    OutboxMessage.objects.all().delete()
    SuggestionEvent.objects.filter(kind=SuggestionEvent.Kind.OVERDUE).delete()
    for i in range(17):
        submit(received=at(D(2025, 9, 29 - i % 5)), estate=world.estate2 if i % 2 else world.estate)
    with CaptureQueriesContext(connection) as many:
        result = sweeps.sweep_overdue(today=D(2025, 10, 13))
    assert result.late == 20 and result.reminded == 20
    assert len(many) == len(few), [q["sql"][:100] for q in many.captured_queries]


def test_the_messages_render_in_words_with_their_links(world, late, settings):
    sweeps.sweep_overdue(today=D(2025, 10, 13))
    firm = OutboxMessage.objects.get(kind=messaging.OVERDUE)
    text = messaging.render_overdue(firm)
    assert "超过受理期限" in text.subject and late.number in text.subject
    assert text.link.endswith(f"/portal/suggestions/{late.number}/")
    district = OutboxMessage.objects.get(kind=messaging.ESCALATED, key__endswith="/district")
    text = messaging.render_escalated(district)
    assert "逾期未受理" in text.subject and "3 个工作日" in text.text and world.firm.name in text.subject


def test_the_beat_task_and_the_command_run_the_sweep(late, settings):
    assert settings.CELERY_BEAT_SCHEDULE["suggestions-daily-overdue"]["task"] == "suggestions.sweep_overdue"
    assert tasks.sweep_overdue.apply(args=["2025-10-10"]).get()["reminded"] == 1
    out = _command("--today", "2025-10-13")
    assert "to streets 1, to districts 1" in out and len(sent()) == 3
    assert "reminders 0, to streets 0, to districts 0" in _command("--today", "2025-10-13")


def _command(*args):
    import io

    buffer = io.StringIO()
    call_command("suggestions_sweep", *args, stdout=buffer)
    return buffer.getvalue()


# --- retention -------------------------------------------------------------------------------------

def test_the_retention_task_erases_old_personal_data_once_and_keeps_the_figures(world, submit, settings):
    settings.SUGGESTION_RETENTION_DAYS = 730
    assert settings.CELERY_BEAT_SCHEDULE["suggestions-daily-retention"]["task"] == "suggestions.erase_personal_data"
    old = submit(received=EVE)
    with _on(D(2025, 10, 9)):
        services.suggestion_resolve(suggestion=old, user=world.firm_user, text="已修好。")
    services.suggestion_rate(suggestion=old, rating=4)
    recent = submit()
    with _on(D(2027, 10, 10)):
        assert tasks.erase_personal_data.apply().get() == {"erased": 1}
        assert tasks.erase_personal_data.apply().get() == {"erased": 0}
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.mobile, old.erased_at is not None) == ("", "", True)
    assert (old.state, old.rating, old.answered_on_time) == (Suggestion.State.RESOLVED, 4, True)
    assert recent.mobile == "13800138000" and recent.erased_at is None
    assert "personal data erased from 0 entries" in _command("--retention")


class _on:
    """Run a service as if it were that day (10:00 local)."""

    def __init__(self, day):
        self.day = day

    def __enter__(self):
        from unittest import mock

        self.patch = mock.patch.object(timezone, "now", return_value=at(self.day))
        self.patch.start()

    def __exit__(self, *exc):
        self.patch.stop()


def test_small_batches_take_every_late_entry_once(world, submit):
    entries = [submit(received=EVE) for _i in range(5)]
    result = sweeps.sweep_overdue(today=D(2025, 10, 10), batch=2)
    assert (result.batches, result.late, result.reminded) == (3, 5, 5)
    assert sorted(m.key.split("/")[0] for m in OutboxMessage.objects.filter(kind=messaging.OVERDUE)) == sorted(
        str(e.pk) for e in entries)


def test_two_sweeps_at_once_on_postgresql_do_each_step_once(transactional_db, world, submit):
    """Two processes' sweeps at the same moment (two threads, two connections): the second waits for the first's
    row locks, then finds its records. PostgreSQL only (SQLite has one writer at a time anyway)."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (the CI's PostgreSQL run)")
    entries = [submit(received=EVE) for _i in range(20)]
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            sweeps.sweep_overdue(today=D(2025, 10, 13), batch=5)
        except Exception as exc:  # reported below: a thread's exception would vanish
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(sent()) == 3 * len(entries)
    assert SuggestionEvent.objects.filter(kind=SuggestionEvent.Kind.OVERDUE).count() == 3 * len(entries)
