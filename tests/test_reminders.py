"""The reminder sweep with a fixed today: kinds, policies, recipients, opt-out, exactly once,
claims and leases, failures and retries, the digest and manual reminders."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import reminders
from campaigns.models import Action, Campaign, Obligation, Task
from notifications import outbox
from notifications.models import Digest, ListVersion, Notification, Reminder, ReminderPolicy
from tests import factories as f

D = datetime.date.fromisoformat
TODAY = D("2025-06-10")  # a Tuesday


@pytest.fixture(autouse=True)
def _eager_celery():
    """These tests send in-process even when REDIS_URL is set (the PostgreSQL suite of .ci/run):
    the worker path is what tests/integration covers."""
    from config.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


class Cast:
    """A published campaign with one task; obligations are added per test."""

    def __init__(self, world):
        self.w = world
        self.campaign = Campaign.objects.create(
            name="2025年文明物业创建活动", year=2025, issuing_agency=world.city, start_date=D("2025-01-01"),
            end_date=D("2025-12-31"), status=Campaign.Status.PUBLISHED,
        )
        self.action = Action.objects.create(campaign=self.campaign, order=1, code="harmony", name="和谐关系促进行动")
        self.task = self.add_task("open-letter", "张贴致业主公开信")

    def add_task(self, code, title, order=None):
        order = order or Task.objects.filter(action=self.action).count() + 1
        return Task.objects.create(
            action=self.action, order=order, code=code, title=title, window_start=D("2025-01-01"),
            deadline=D("2025-12-31"), party_kind="estate", requirement="在公告栏、出入口和楼道张贴。",
        )

    def obligation(self, due, *, estate=None, firm=None, agency=None, state="open", task=None, reviewer=None):
        if not (estate or firm or agency):
            estate = self.w.estate
        return Obligation.objects.create(
            campaign=self.campaign, task=task or self.task, estate=estate, firm=firm, agency=agency,
            reviewer=reviewer or (self.w.city if agency else self.w.district),
            period_start=due - datetime.timedelta(days=30),
            period_end=due, due_date=due, state=state,
            district=(estate.district if estate else None),
        )


@pytest.fixture
def cast(world):
    return Cast(world)


def sweep(today=TODAY):
    return reminders.sweep_reminders(today=today)


def kinds_sent():
    return sorted((r.kind, r.offset) for r in Reminder.objects.filter(state="sent"))


# --- kinds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [7, 3, 1])
def test_a_reminder_goes_out_the_configured_days_before_the_deadline(cast, days):
    cast.obligation(TODAY + datetime.timedelta(days=days))
    sweep()
    assert kinds_sent() == [("before", days)]
    assert f"还有 {days} 天到期" in mail.outbox[0].subject


def test_no_reminder_on_a_day_the_policy_does_not_name(cast):
    cast.obligation(TODAY + datetime.timedelta(days=5))
    sweep()
    assert Reminder.objects.count() == 0 and mail.outbox == []


def test_a_reminder_goes_out_on_the_due_day(cast):
    cast.obligation(TODAY)
    sweep()
    assert kinds_sent() == [("due", 0)]
    assert "今天到期" in mail.outbox[0].subject


def test_overdue_reminders_start_the_day_after_the_deadline_and_repeat_every_n_days(cast):
    cast.obligation(TODAY - datetime.timedelta(days=1))  # the first overdue day: reminded
    cast.obligation(TODAY - datetime.timedelta(days=4), estate=cast.w.estate2)  # 1 + 3: reminded
    cast.obligation(TODAY - datetime.timedelta(days=3), estate=cast.w.estate2)  # 3 is not 1 + k x 3
    cast.obligation(TODAY - datetime.timedelta(days=6))  # nor is 6
    sweep()
    assert kinds_sent() == [("overdue", 1), ("overdue", 4)]
    assert any("已逾期 1 天" in m.subject for m in mail.outbox)


def test_the_first_overdue_reminder_is_not_held_back_by_the_interval(cast):
    """With "every 7 days" the party still hears the day after the deadline, not a week later."""
    ReminderPolicy.objects.create(campaign=cast.campaign, days_before="", on_due_day=False, overdue_every=7)
    cast.obligation(TODAY - datetime.timedelta(days=1))
    sweep()
    assert kinds_sent() == [("overdue", 1)]
    reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=6))  # overdue 7 days: not yet
    assert kinds_sent() == [("overdue", 1)]
    reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=7))  # 1 + 7
    assert kinds_sent() == [("overdue", 1), ("overdue", 8)]


def test_a_task_policy_overrides_the_campaign_default(cast):
    ReminderPolicy.objects.create(campaign=cast.campaign, days_before="7", on_due_day=False, overdue_every=0)
    other = cast.add_task("box", "设置意见箱")
    ReminderPolicy.objects.create(task=other, days_before="2", on_due_day=True, overdue_every=0)
    cast.obligation(TODAY + datetime.timedelta(days=2))  # campaign rule: not reminded on day -2
    cast.obligation(TODAY + datetime.timedelta(days=2), task=other)  # task rule: reminded
    cast.obligation(TODAY, estate=cast.w.estate2)  # campaign rule: no due-day reminder
    sweep()
    assert list(Reminder.objects.values_list("obligation__task", flat=True)) == [other.pk]


def test_a_disabled_policy_sends_nothing(cast):
    ReminderPolicy.objects.create(campaign=cast.campaign, enabled=False)
    cast.obligation(TODAY)
    sweep()
    assert Reminder.objects.count() == 0


def test_working_day_reminders_skip_the_national_day_holiday(cast):
    ReminderPolicy.objects.create(campaign=cast.campaign, days_before="1", on_due_day=False, overdue_every=0,
                                  in_workdays=True)
    # Deadline Thu 9 Oct 2025; 1–8 Oct are holidays, so one working day before is Tue 30 Sep.
    cast.obligation(D("2025-10-09"))
    reminders.sweep_reminders(today=D("2025-09-29"))
    assert Reminder.objects.count() == 0
    reminders.sweep_reminders(today=D("2025-09-30"))
    assert kinds_sent() == [("before", 1)]


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(cast):
    ReminderPolicy.objects.create(campaign=cast.campaign, days_before="", on_due_day=True, overdue_every=0,
                                  in_workdays=True)
    cast.obligation(D("2025-10-03"))  # a holiday: due on Thu 9 Oct
    reminders.sweep_reminders(today=D("2025-10-03"))
    assert Reminder.objects.count() == 0
    reminders.sweep_reminders(today=D("2025-10-09"))
    assert kinds_sent() == [("due", 0)]


def test_working_day_overdue_reminders_count_a_make_up_sunday(cast):
    ReminderPolicy.objects.create(campaign=cast.campaign, days_before="", on_due_day=False, overdue_every=2,
                                  in_workdays=True)
    # Due Fri 26 Sep 2025; Sun 28 Sep is a make-up working day, so it is the first working day
    # after the deadline (the first overdue reminder), and two working days later is Tue 30 Sep.
    cast.obligation(D("2025-09-26"))
    reminders.sweep_reminders(today=D("2025-09-27"))  # Saturday: no reminders on days off
    assert Reminder.objects.count() == 0
    reminders.sweep_reminders(today=D("2025-09-28"))
    assert kinds_sent() == [("overdue", 1)]
    reminders.sweep_reminders(today=D("2025-09-29"))
    assert kinds_sent() == [("overdue", 1)]
    reminders.sweep_reminders(today=D("2025-09-30"))
    assert kinds_sent() == [("overdue", 1), ("overdue", 3)]


def test_no_reminders_for_a_draft_campaign(cast):
    Campaign.objects.filter(pk=cast.campaign.pk).update(status=Campaign.Status.DRAFT)
    cast.obligation(TODAY)
    sweep()
    assert Reminder.objects.count() == 0


# --- recipients ----------------------------------------------------------------------------------


def test_an_estate_obligation_reminds_the_users_of_the_estates_firm(cast):
    colleague = f.UserFactory(username="firm2", firm=cast.w.firm)
    cast.obligation(TODAY)
    sweep()
    assert sorted(mail.outbox[0].to) == sorted([cast.w.firm_user.email, colleague.email])
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"firm", "firm2"}


def test_a_district_obligation_reminds_the_district_staff(cast):
    cast.obligation(TODAY, agency=cast.w.district)
    sweep()
    assert mail.outbox[0].to == [cast.w.district_user.email]


def test_the_email_has_chinese_text_and_html_parts(cast):
    cast.obligation(TODAY)
    sweep()
    message = mail.outbox[0]
    assert "张贴致业主公开信" in message.body and "月湖花园" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "张贴致业主公开信" in html


def test_a_user_who_opted_out_gets_no_email_but_the_in_app_notification(cast):
    colleague = f.UserFactory(username="firm2", firm=cast.w.firm)
    cast.w.firm_user.email_notifications = False
    cast.w.firm_user.save()
    cast.obligation(TODAY)
    sweep()
    assert mail.outbox[0].to == [colleague.email]
    assert Notification.objects.filter(user=cast.w.firm_user).count() == 1


def test_when_everybody_opted_out_only_in_app_notifications_are_written(cast):
    cast.w.firm_user.email_notifications = False
    cast.w.firm_user.save()
    cast.obligation(TODAY)
    sweep()
    assert mail.outbox == []
    assert Reminder.objects.get().state == "sent"
    assert Notification.objects.filter(user=cast.w.firm_user).count() == 1


def test_a_party_without_users_is_logged_as_no_recipient_saying_who_to_add_and_sent_once_it_has_users(cast):
    lonely = f.EstateFactory(code="HS099", street=cast.w.street)
    cast.obligation(TODAY, estate=lonely)
    result = sweep()
    reminder = Reminder.objects.get()
    # Its own state, not a failure: nothing went wrong in the sending, somebody is missing.
    assert reminder.state == Reminder.State.NO_RECIPIENT and result.failed == 0 and result.no_recipient == 1
    assert lonely.firm.name in reminder.last_error and "请为该企业添加用户" in reminder.last_error
    newcomer = f.UserFactory(username="newcomer", firm=lonely.firm)
    sweep()
    assert Reminder.objects.get().state == "sent" and mail.outbox[0].to == [newcomer.email]


def test_other_firms_get_nothing(cast):
    cast.obligation(TODAY)
    sweep()
    assert cast.w.other_firm_user.email not in mail.outbox[0].to
    assert not Notification.objects.filter(user=cast.w.other_firm_user).exists()


# --- settled work --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "accepted"])
def test_no_reminder_for_submitted_or_accepted_work(cast, state):
    cast.obligation(TODAY, state=state)
    sweep()
    assert Reminder.objects.count() == 0 and mail.outbox == []


def test_returned_work_is_reminded(cast):
    cast.obligation(TODAY, state="returned")
    sweep()
    assert kinds_sent() == [("due", 0)]
    assert "退回" in mail.outbox[0].body


def test_a_reminder_stored_before_the_work_was_accepted_is_skipped(cast):
    ob = cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    Obligation.objects.filter(pk=ob.pk).update(state="accepted")
    sweep()
    assert Reminder.objects.get().state == "skipped"
    assert mail.outbox == []


def test_a_claimed_reminder_whose_work_was_submitted_meanwhile_is_skipped_at_send_time(cast):
    ob = cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    token, _ = outbox.claim_batch(Reminder)
    Obligation.objects.filter(pk=ob.pk).update(state="submitted")
    reminders.send_reminder_batch(token=token, today=TODAY)
    assert Reminder.objects.get().state == "skipped" and mail.outbox == []


def test_a_moved_deadline_skips_the_stale_reminder(cast):
    ob = cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    Obligation.objects.filter(pk=ob.pk).update(due_date=TODAY + datetime.timedelta(days=20))
    sweep()
    assert Reminder.objects.get().state == "skipped"


# --- exactly once --------------------------------------------------------------------------------


def test_running_the_sweep_twice_sends_each_reminder_once(cast):
    cast.obligation(TODAY)
    cast.obligation(TODAY + datetime.timedelta(days=3), estate=cast.w.estate2)
    sweep()
    second = sweep()
    assert len(mail.outbox) == 2
    assert second.inserted == 0 and second.claimed == 0
    assert Notification.objects.count() == 2


def test_a_day_the_sweep_did_not_run_is_caught_up_exactly_once(cast):
    """Sweep on D, none on D+1, sweep on D+2: D+1's reminders are sent late under their own
    date, or stored as skipped (with the reason) where the obligation has a newer reminder."""
    d1, d2 = TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=2)
    due_d2 = cast.obligation(d2)  # D+1: 1 day before; D+2: due today (newer, so D+1's is skipped)
    due_d8 = cast.obligation(TODAY + datetime.timedelta(days=8), estate=cast.w.estate2)  # D+1: 7 days before
    due_d = cast.obligation(TODAY, estate=cast.w.other_estate)  # D: due; D+1: first overdue day
    sweep(TODAY)
    assert kinds_sent() == [("due", 0)] and len(mail.outbox) == 1

    result = sweep(d2)
    assert result.missed_days == [d1]
    rows = {(r.obligation_id, r.kind, r.date): r for r in Reminder.objects.all()}
    assert rows[(due_d8.pk, "before", d1)].state == "sent"  # late, with its original date
    assert rows[(due_d.pk, "overdue", d1)].state == "sent"
    assert rows[(due_d2.pk, "due", d2)].state == "sent"
    skipped = rows[(due_d2.pk, "before", d1)]
    assert skipped.state == "skipped" and d2.isoformat() in skipped.last_error
    assert len(mail.outbox) == 4

    again = sweep(d2)  # a second sweep (or a concurrent one) inserts and sends nothing
    assert (again.inserted, again.claimed, len(mail.outbox)) == (0, 0, 4)
    assert Reminder.objects.count() == 5


def test_the_first_sweep_ever_has_nothing_to_catch_up(cast):
    cast.obligation(TODAY + datetime.timedelta(days=7))
    assert sweep().missed_days == []
    assert reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=1)).missed_days == []  # consecutive


def test_a_dry_run_counts_the_catch_up_and_records_nothing(cast):
    from notifications.models import SweepRun

    sweep(TODAY)
    cast.obligation(TODAY + datetime.timedelta(days=8))  # 7 days before on D+1
    result = reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=2), dry_run=True)
    assert result.planned == {"caught_up": 1}
    assert list(SweepRun.objects.values_list("date", flat=True)) == [TODAY]
    assert Reminder.objects.count() == 0


def test_missed_days_beyond_the_catch_up_limit_are_logged(cast, settings, caplog):
    settings.REMINDER_CATCH_UP_DAYS = 2
    sweep(TODAY)
    result = reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=5))
    assert result.missed_days == [TODAY + datetime.timedelta(days=3), TODAY + datetime.timedelta(days=4)]
    assert result.not_caught_up == 2
    assert "did not run on 4 day(s)" in caplog.text


def test_the_unique_key_refuses_a_second_row(cast):
    ob = cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    reminders.insert_due_reminders(today=TODAY)
    assert Reminder.objects.filter(obligation=ob).count() == 1


def test_two_claims_of_the_same_rows_only_one_wins(cast):
    cast.obligation(TODAY)
    cast.obligation(TODAY, estate=cast.w.estate2)
    reminders.insert_due_reminders(today=TODAY)
    pks = list(Reminder.objects.values_list("pk", flat=True))
    first, won = outbox.claim_batch(Reminder, pks=pks)
    second, lost = outbox.claim_batch(Reminder, pks=pks)
    assert (won, lost) == (2, 0) and second is None
    assert set(Reminder.objects.values_list("claim_token", flat=True)) == {first}


def test_a_claim_loses_rows_taken_between_its_select_and_its_update(cast, monkeypatch):
    """The race itself: both claimers selected the same candidates; the second UPDATE re-checks
    the state and wins nothing."""
    cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    now = timezone.now()
    winner, _ = outbox.claim_batch(Reminder, now=now)
    # Replay the loser's UPDATE with the candidates it had selected before the winner updated.
    claimable = outbox._claimable(now=now, started=now)
    updated = Reminder.objects.filter(pk__in=list(Reminder.objects.values_list("pk", flat=True))).filter(
        claimable).update(state="sending")
    assert updated == 0
    assert Reminder.objects.get().claim_token == winner


def test_a_claim_younger_than_the_lease_is_not_taken_again(cast):
    cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    outbox.claim_batch(Reminder)
    assert outbox.claim_batch(Reminder) == (None, 0)


def test_a_crashed_workers_claim_is_taken_again_after_the_lease(cast, settings):
    cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    crashed, _ = outbox.claim_batch(Reminder)  # the worker dies before sending
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    retaken, count = outbox.claim_batch(Reminder, now=later)
    assert count == 1 and retaken != crashed
    reminders.send_reminder_batch(token=retaken, today=TODAY)
    assert Reminder.objects.get().state == "sent" and len(mail.outbox) == 1


def test_the_worker_that_lost_its_lease_writes_nothing(cast, settings):
    cast.obligation(TODAY)
    reminders.insert_due_reminders(today=TODAY)
    slow, _ = outbox.claim_batch(Reminder)
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    fresh, _ = outbox.claim_batch(Reminder, now=later)
    reminders.send_reminder_batch(token=fresh, today=TODAY)
    result = reminders.send_reminder_batch(token=slow, today=TODAY)
    assert result.claimed == 0
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_a_row_whose_lease_ran_out_during_the_batch_is_left_to_its_new_sender(cast, settings, monkeypatch):
    first = cast.obligation(TODAY)
    cast.obligation(TODAY, estate=cast.w.estate2)
    reminders.insert_due_reminders(today=TODAY)
    slow, count = outbox.claim_batch(Reminder)
    assert count == 2
    taken = Reminder.objects.get(obligation=first)
    render = reminders.rendering.reminder_message
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    fresh = []

    def render_slowly(reminder, ob, **kwargs):
        if not fresh:  # while the slow batch renders, another sender takes one of its rows
            fresh.append(outbox.claim_batch(Reminder, now=later, pks=[taken.pk])[0])
        return render(reminder, ob, **kwargs)

    monkeypatch.setattr(reminders.rendering, "reminder_message", render_slowly)
    result = reminders.send_reminder_batch(token=slow, today=TODAY)
    assert result.sent == 1
    taken.refresh_from_db()
    assert taken.state == "sending" and taken.claim_token == fresh[0]
    monkeypatch.setattr(reminders.rendering, "reminder_message", render)
    assert reminders.send_reminder_batch(token=fresh[0], today=TODAY).sent == 1
    users = cast.w.firm.users.filter(is_active=True).count()
    assert Reminder.objects.filter(state="sent").count() == 2
    # The row the slow sender lost got its in-app notifications from its new sender only.
    assert Notification.objects.count() == 2 * users


def test_an_error_in_the_middle_of_a_batch_still_records_what_went_out(cast, monkeypatch):
    cast.obligation(TODAY)
    cast.obligation(TODAY, estate=cast.w.estate2)
    reminders.insert_due_reminders(today=TODAY)
    token, _ = outbox.claim_batch(Reminder)
    render = reminders.rendering.reminder_message
    calls = []

    def render_then_break(reminder, ob, **kwargs):
        calls.append(reminder.pk)
        if len(calls) == 2:
            raise RuntimeError("a bug in rendering")
        return render(reminder, ob, **kwargs)

    monkeypatch.setattr(reminders.rendering, "reminder_message", render_then_break)
    with pytest.raises(RuntimeError):
        reminders.send_reminder_batch(token=token, today=TODAY)
    states = dict(Reminder.objects.values_list("pk", "state"))
    assert states == {calls[0]: "sent", calls[1]: "sending"}  # the second waits for the lease
    assert len(mail.outbox) == 1 and Notification.objects.count() == cast.w.firm.users.filter(is_active=True).count()


# --- failures ------------------------------------------------------------------------------------


class BrokenSMTP:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise smtplib.SMTPConnectError(421, "down")

    def close(self):
        pass

    def send_messages(self, messages):
        self.open()


def test_an_smtp_failure_marks_the_reminder_failed_and_the_next_sweep_sends_it(cast, settings):
    cast.obligation(TODAY)
    cast.obligation(TODAY, estate=cast.w.estate2)
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    first = sweep()
    assert first.failed == 2
    failed = list(Reminder.objects.all())
    assert {r.state for r in failed} == {"failed"} and "SMTPConnectError" in failed[0].last_error
    assert Notification.objects.count() == 0  # in-app only with the delivery, so exactly once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = sweep()
    assert second.sent == 2 and len(mail.outbox) == 2
    assert {r.attempts for r in Reminder.objects.all()} == {2}
    assert Notification.objects.count() == 2


def test_a_reminder_is_given_up_after_the_maximum_attempts(cast, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    cast.obligation(TODAY)
    sweep()
    sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sweep()
    assert Reminder.objects.get().state == "failed" and mail.outbox == []


def test_a_stale_before_reminder_is_skipped_once_the_deadline_passed(cast, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    cast.obligation(TODAY + datetime.timedelta(days=1))
    sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reminders.sweep_reminders(today=TODAY + datetime.timedelta(days=3))
    assert Reminder.objects.get(kind="before").state == "skipped"


# --- the sweep's cost ----------------------------------------------------------------------------


def _insert_queries(today):
    # The reminder log's version row exists on a live database (migration 0008); a test that flushed the
    # database (a browser test's live server) leaves it to the next write, whose first renewal creates it with
    # a few queries more. Measure the steady state.
    ListVersion.renew(Reminder.list_version)
    with CaptureQueriesContext(connection) as ctx:
        reminders.insert_due_reminders(today=today)
    return len(ctx)


def test_inserting_does_not_grow_with_the_obligations_not_due(cast):
    cast.obligation(TODAY)
    small = _insert_queries(TODAY)
    Reminder.objects.all().delete()
    for i in range(30):
        estate = f.EstateFactory(street=cast.w.street, firm=cast.w.firm)
        cast.obligation(TODAY + datetime.timedelta(days=20 + i), estate=estate)
        cast.obligation(TODAY, estate=estate)
    assert _insert_queries(TODAY) == small


def _send_queries(cast, n, *, opted_out=0):
    """Queries of sending one claimed batch of ``n`` due reminders (each estate of the world's firm)."""
    Notification.objects.all().delete()
    Reminder.objects.all().delete()
    Obligation.objects.all().delete()
    mail.outbox = []
    for _ in range(n):
        cast.obligation(TODAY, estate=f.EstateFactory(street=cast.w.street, firm=cast.w.firm))
    reminders.insert_due_reminders(today=TODAY)
    token, claimed = outbox.claim_batch(Reminder, limit=n)
    assert claimed == n
    ListVersion.renew(Reminder.list_version)  # the steady state, as _insert_queries
    with CaptureQueriesContext(connection) as ctx:
        result = reminders.send_reminder_batch(token=token, today=TODAY)
    assert result.sent == n
    return len(ctx)


def test_sending_a_batch_costs_the_same_queries_for_3_and_6_reminders(cast):
    assert _send_queries(cast, 6) == _send_queries(cast, 3)


def test_sending_a_batch_costs_the_same_queries_for_10_and_100_reminders(cast):
    small = _send_queries(cast, 10)
    large = _send_queries(cast, 100)
    assert large == small
    # Still every reminder once, to every active user of the firm, in-app and by mail.
    users = cast.w.firm.users.filter(is_active=True).count()
    assert users and Reminder.objects.filter(state="sent").count() == 100
    assert len(mail.outbox) == 100 and Notification.objects.count() == 100 * users


def test_a_batch_mixing_sent_skipped_and_unreachable_rows_costs_the_same_queries(cast):
    def mixed(n):
        Notification.objects.all().delete()
        Reminder.objects.all().delete()
        Obligation.objects.all().delete()
        for i in range(n):
            firm = cast.w.firm if i % 3 else None  # an estate without a firm: nobody to remind
            cast.obligation(TODAY, estate=f.EstateFactory(street=cast.w.street, firm=firm))
        reminders.insert_due_reminders(today=TODAY)
        token, _ = outbox.claim_batch(Reminder, limit=n)
        Obligation.objects.filter(pk__in=Obligation.objects.order_by("pk").values("pk")[:2]).update(
            state="submitted")  # settled after the claim: skipped at send time
        with CaptureQueriesContext(connection) as ctx:
            result = reminders.send_reminder_batch(token=token, today=TODAY)
        assert result.skipped == 2 and result.no_recipient >= 1 and result.sent >= 1
        return len(ctx)

    small = mixed(12)
    assert mixed(30) == small
    states = dict(Reminder.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    assert states == {"skipped": 2, "nobody": 9, "sent": 19}
    assert Reminder.objects.filter(state="nobody").exclude(last_error="").count() == 9



def test_a_batch_of_every_kind_of_party_and_manual_reminders_reads_no_column_per_row(cast):
    """The batch is one query of the columns it uses (reminders.py _BATCH_RELATED): estates with and without
    a firm, firm and agency work, manual reminders by an officer with and without an agency cost the same
    queries at 5 and 15 reminders, and each message is the one the full rows (select_related) give."""
    from campaigns import reminder_messages

    officer = f.UserFactory(username="no-agency-officer", is_staff=True)

    def batch(n):
        Notification.objects.all().delete()
        Reminder.objects.all().delete()
        Obligation.objects.all().delete()
        mail.outbox = []
        for i in range(n):
            kind = i % 5
            ob = cast.obligation(TODAY, **(
                {"estate": f.EstateFactory(street=cast.w.street, firm=cast.w.firm if i % 2 else cast.w.other_firm)}
                if kind < 2 else {"firm": cast.w.firm} if kind == 2 else {"agency": cast.w.district} if kind == 3
                else {"estate": f.EstateFactory(street=cast.w.street, firm=None)}),
                task=cast.add_task(f"batch-{n}-{i}", f"批次任务{i}") if kind in (2, 3) else None)
            if i % 3 == 0:
                Reminder.objects.create(obligation=ob, campaign=ob.campaign, kind=Reminder.Kind.MANUAL, date=TODAY,
                                        due_date=ob.due_date, offset=0,
                                        requested_by=cast.w.district_user if i % 2 else officer)
        reminders.insert_due_reminders(today=TODAY)
        token, claimed = outbox.claim_batch(Reminder, limit=1000)
        expected = {}
        for r in Reminder.objects.filter(claim_token=token).select_related(
                "obligation__task__action", "obligation__campaign", "obligation__estate__firm", "obligation__firm",
                "obligation__agency", "requested_by__agency"):
            ob = r.obligation
            for_firm = bool(ob.estate_id or ob.firm_id)
            m = reminder_messages.reminder_message(r, ob, today=TODAY, for_firm=for_firm)
            expected[m.headers["X-Notification-Key"]] = (m.subject, m.text, m.html)
        with CaptureQueriesContext(connection) as ctx:
            result = reminders.send_reminder_batch(token=token, today=TODAY)
        assert result.sent and result.no_recipient and claimed > n
        got = {m.extra_headers["X-Notification-Key"]: (m.subject, m.body, m.alternatives[0][0]) for m in mail.outbox}
        assert got and all(expected[key] == value for key, value in got.items())
        return len(ctx)

    assert batch(15) == batch(5)


# --- digest --------------------------------------------------------------------------------------

FRIDAY = D("2025-06-13")


def test_the_digest_lists_every_overdue_obligation_grouped_by_firm_and_estate(cast):
    box = cast.add_task("box", "设置意见箱")
    second_firm = f.FirmFactory(name="天一物业", district=cast.w.district)
    third_estate = f.EstateFactory(code="HS003", name="天一家园", street=cast.w.street, firm=second_firm)
    cast.obligation(D("2025-06-01"))
    cast.obligation(D("2025-06-05"), task=box)
    cast.obligation(D("2025-06-02"), estate=cast.w.estate2)
    cast.obligation(D("2025-06-03"), estate=third_estate)
    cast.obligation(D("2025-06-20"), estate=third_estate, task=box)  # not overdue
    cast.obligation(D("2025-06-01"), estate=cast.w.estate2, task=box, state="accepted")  # done
    reminders.sweep_digest(today=FRIDAY)
    message = next(m for m in mail.outbox if m.to == [cast.w.district_user.email])
    body = message.body
    assert "共 4 项逾期" in message.subject
    assert body.index("天一物业") < body.index("月湖物业")
    assert body.index("南门小区") < body.index("月湖花园")  # estates sorted inside the firm
    assert body.count("设置意见箱") == 1 and body.count("张贴致业主公开信") == 3


def test_the_digest_html_part_has_a_section_per_firm(cast):
    second_firm = f.FirmFactory(name="天一物业", district=cast.w.district)
    cast.obligation(D("2025-06-01"))
    cast.obligation(D("2025-06-03"), estate=f.EstateFactory(code="HS003", street=cast.w.street, firm=second_firm))
    reminders.sweep_digest(today=FRIDAY)
    html, _mimetype = mail.outbox[0].alternatives[0]
    assert html.count("<h2") == 2 and "天一物业" in html and "月湖物业" in html


def test_the_digest_goes_to_the_reviewing_agency_only(cast):
    cast.obligation(D("2025-06-01"))
    reminders.sweep_digest(today=FRIDAY)
    assert [m.to for m in mail.outbox] == [[cast.w.district_user.email]]
    assert Digest.objects.get().agency == cast.w.district


def test_the_digest_goes_out_once_per_officer_and_week(cast):
    cast.obligation(D("2025-06-01"))
    reminders.sweep_digest(today=FRIDAY)
    reminders.sweep_digest(today=FRIDAY)
    reminders.sweep_digest(today=FRIDAY + datetime.timedelta(days=1))  # same week
    assert len(mail.outbox) == 1
    reminders.sweep_digest(today=FRIDAY + datetime.timedelta(days=7))
    assert len(mail.outbox) == 2


def test_the_digest_respects_email_opt_out(cast):
    cast.w.district_user.email_notifications = False
    cast.w.district_user.save()
    cast.obligation(D("2025-06-01"))
    reminders.sweep_digest(today=FRIDAY)
    assert mail.outbox == []
    assert Notification.objects.get(user=cast.w.district_user).category == "digest"


def test_the_command_sends_the_digest_on_friday_only(cast):
    from django.core.management import call_command

    cast.obligation(D("2025-06-01"))
    call_command("send_reminders", "--today", "2025-06-12")
    assert Digest.objects.count() == 0
    call_command("send_reminders", "--today", "2025-06-13")
    assert Digest.objects.count() == 1


# --- manual reminders ----------------------------------------------------------------------------


def test_a_manual_reminder_goes_to_the_firm_at_once(cast, django_capture_on_commit_callbacks):
    ob = cast.obligation(TODAY + datetime.timedelta(days=20))
    with django_capture_on_commit_callbacks(execute=True):
        reminder, created = reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY)
    assert created
    reminder.refresh_from_db()
    assert reminder.state == "sent" and mail.outbox[0].to == [cast.w.firm_user.email]
    assert "催办" in mail.outbox[0].subject


def test_a_second_manual_reminder_the_same_day_is_not_sent(cast, django_capture_on_commit_callbacks):
    ob = cast.obligation(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY)
        _, created = reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY)
    assert not created and len(mail.outbox) == 1


def test_a_forced_manual_reminder_is_sent_again(cast, django_capture_on_commit_callbacks):
    ob = cast.obligation(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY)
        _, created = reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY,
                                         force=True)
    assert created and len(mail.outbox) == 2


def test_a_manual_reminder_for_accepted_work_is_refused(cast):
    ob = cast.obligation(TODAY, state="accepted")
    with pytest.raises(ValidationError):
        reminders.remind_now(obligation=ob, requested_by=cast.w.district_user, today=TODAY)


# --- running it ----------------------------------------------------------------------------------


def test_a_dry_run_stores_and_sends_nothing(cast):
    from io import StringIO

    from django.core.management import call_command

    cast.obligation(TODAY)
    out = StringIO()
    call_command("send_reminders", "--today", TODAY.isoformat(), "--dry-run", stdout=out)
    assert "due=1" in out.getvalue()
    assert Reminder.objects.count() == 0 and mail.outbox == []


def test_the_command_refuses_a_malformed_date(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("send_reminders", "--today", "10/06/2025")


def test_the_hourly_flush_sends_what_failed(cast, settings):
    from notifications import tasks

    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    cast.obligation(TODAY)
    sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tasks.flush.delay(TODAY.isoformat())
    assert Reminder.objects.get().state == "sent" and len(mail.outbox) == 1


def test_the_beat_schedule_names_registered_tasks(settings):
    from config.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"notifications.sweep_reminders", "notifications.sweep_digest", "notifications.flush"} <= names
    assert names <= set(app.tasks)


def test_an_unreachable_broker_gives_the_claimed_rows_back(cast, monkeypatch):
    from config.celery import app
    from notifications import tasks

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("redis down")

    cast.obligation(TODAY)
    app.conf.task_always_eager = False  # restored by the autouse fixture
    monkeypatch.setattr(tasks.send_batch, "delay", refuse)
    result = sweep()
    assert "redis down" in result.dispatch_error
    reminder = Reminder.objects.get()
    assert reminder.state == "failed" and "redis down" in reminder.last_error
    app.conf.task_always_eager = True
    monkeypatch.undo()
    reminders.sweep_reminders(today=TODAY)
    assert Reminder.objects.get().state == "sent" and len(mail.outbox) == 1


def test_the_demo_step_notifies_the_demo_accounts_once(cast):
    from io import StringIO

    from accounts.models import User
    from campaigns.reminders import demo_reminders_step

    class Command:
        stdout = StringIO()

    cast.obligation(timezone.localdate())
    demo_reminders_step(Command)
    demo_reminders_step(Command)
    assert User.objects.filter(username="demo-firm").exists()
    assert Reminder.objects.count() == 1 and mail.outbox == []  # demo mail is discarded


def test_the_digest_lists_a_firms_own_work_before_its_estates(cast):
    cast.obligation(D("2025-06-01"))  # estate 月湖花园 of 月湖物业
    cast.obligation(D("2025-06-02"), firm=cast.w.firm)  # the firm's own task
    reminders.sweep_digest(today=FRIDAY)
    body = mail.outbox[0].body
    assert body.index("企业层面任务") < body.index("月湖花园")
