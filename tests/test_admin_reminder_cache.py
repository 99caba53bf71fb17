"""The reminder log keeps its count and its page of rows (ScopedChangeList) under the reminders' ListVersion and
the campaigns' figures tokens, read in one query from the database (ReminderAdmin.list_cache_version): a repeated
view reads no reminder, and every write that changes what the log shows is shown at once (the sweep's new
reminders, a manual reminder, the outbox's sent, failed and no-recipient ends, a resend, a renamed estate or firm,
a deleted obligation's reminders); a user never sees what was kept for a user of another scope."""


import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from campaigns import reminders
from campaigns.models import Obligation
from notifications import outbox
from notifications.models import ListVersion, Reminder
from tests.campaign_ui_fixtures import make_live, obligation, reminder_per_obligation

pytestmark = pytest.mark.django_db

REMINDERS = "admin:notifications_reminder_changelist"


@pytest.fixture
def live(world):
    live = make_live(world)
    reminder_per_obligation(live, days_back=1)
    ListVersion.renew(Reminder.list_version)
    return live


def _get(client, user, params=None, language="zh-hans"):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(REMINDERS), params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _reminder_reads(queries):
    return [q for q in queries if 'FROM "notifications_reminder"' in q]


def _results(response):
    html = response.content.decode()
    if '<div class="results">' not in html:  # no row: Django draws no table
        assert response.context["cl"].result_count == 0
        return ""
    start = html.index('<div class="results">')
    return html[start:html.index("</table>", start)]


def _kept_then(client, user, **kwargs):
    """The page viewed twice (the second from what was kept), then once more after the caller's write."""
    first, _queries = _get(client, user, **kwargs)
    again, queries = _get(client, user, **kwargs)
    assert _reminder_reads(queries) == [] and _results(again) == _results(first)
    return first


def _checkbox(pk):
    return f'name="_selected_action" value="{pk}"'


@pytest.mark.parametrize("params", [{}, {"state__exact": "pending"}, {"o": "-1"}, {"q": "月湖"}])
def test_a_repeated_log_reads_no_reminder_and_shows_the_page_a_fresh_render_shows(client, world, live, params):
    first, first_queries = _get(client, world.city_user, params)
    assert _reminder_reads(first_queries)
    again, queries = _get(client, world.city_user, params)
    assert _reminder_reads(queries) == []
    assert len(queries) < len(first_queries)
    assert _results(again) == _results(first)
    assert again.context["cl"].result_count == first.context["cl"].result_count
    cache.clear()
    fresh, _queries = _get(client, world.city_user, params)
    assert _results(fresh) == _results(again)


def test_the_sweeps_new_reminders_are_shown_at_once(client, world, live):
    first = _kept_then(client, world.city_user)
    o = obligation(live.box, estate=world.estate)
    assert reminders.insert_due_reminders(
        today=live.today, plan=[(o.pk, o.campaign_id, o.due_date, Reminder.Kind.BEFORE, 3)]) == 1
    new = Reminder.objects.get(obligation=o, date=live.today)
    after, queries = _get(client, world.city_user)
    assert _reminder_reads(queries)
    assert _checkbox(new.pk) in _results(after) and _checkbox(new.pk) not in _results(first)
    assert after.context["cl"].result_count == first.context["cl"].result_count + 1


def test_a_manual_reminder_and_its_sending_are_shown_at_once(client, world, live, django_capture_on_commit_callbacks):
    first = _kept_then(client, world.city_user)
    o = obligation(live.box, estate=world.estate)
    with django_capture_on_commit_callbacks(execute=True):
        reminder, created = reminders.remind_now(obligation=o, requested_by=world.city_user)
    assert created
    reminder.refresh_from_db()
    after, _queries = _get(client, world.city_user)
    assert _checkbox(reminder.pk) in _results(after) and _checkbox(reminder.pk) not in _results(first)
    assert after.context["cl"].result_count == first.context["cl"].result_count + 1
    with override("zh-hans"):
        label = str(reminder.get_state_display())
    assert label in _results(after)


def _send(reminder, today):
    token, count = outbox.claim_batch(Reminder, pks=[reminder.pk])
    assert count == 1
    reminders.send_reminder_batch(token=token, today=today)
    reminder.refresh_from_db()
    return reminder


def test_the_outbox_marking_a_reminder_sent_or_without_recipient_is_shown_at_once(client, world, live):
    mail.outbox = []
    sent = Reminder.objects.get(obligation=obligation(live.box, estate=world.estate))
    _kept_then(client, world.city_user, params={"state__exact": "sent"})
    assert _send(sent, live.today).state == Reminder.State.SENT
    after, _queries = _get(client, world.city_user, {"state__exact": "sent"})
    assert _checkbox(sent.pk) in _results(after) and after.context["cl"].result_count == 1
    assert sent.recipients and sent.recipients[:10] in _results(after)

    world.firm_user.is_active = False  # nobody left to receive the firm's reminders
    world.firm_user.save()
    nobody = Reminder.objects.get(obligation=obligation(live.box, estate=world.estate2))
    _kept_then(client, world.city_user, params={"state__exact": "nobody"})
    assert _send(nobody, live.today).state == Reminder.State.NO_RECIPIENT
    after, _queries = _get(client, world.city_user, {"state__exact": "nobody"})
    assert _checkbox(nobody.pk) in _results(after) and after.context["cl"].result_count == 1


def test_a_failure_a_retry_and_a_resend_are_shown_at_once(client, world, live, django_capture_on_commit_callbacks):
    reminder = Reminder.objects.get(obligation=obligation(live.box, estate=world.estate))
    token, _count = outbox.claim_batch(Reminder, pks=[reminder.pk])
    _kept_then(client, world.city_user, params={"state__exact": "failed"})
    outbox.release(Reminder, token=token, error="SMTPServerDisconnected: 连接断开")
    after, _queries = _get(client, world.city_user, {"state__exact": "failed"})
    assert _checkbox(reminder.pk) in _results(after) and "连接断开" in _results(after)

    _kept_then(client, world.city_user, params={"state__exact": "sending"})
    assert outbox.reclaim_failed(Reminder, token=token) == 1
    after, _queries = _get(client, world.city_user, {"state__exact": "sending"})
    assert _checkbox(reminder.pk) in _results(after)
    outbox.release(Reminder, token=token, error="again")

    _kept_then(client, world.city_user, params={"state__exact": "sent"})
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.resend(Reminder, pks=[reminder.pk]) == 1
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.SENT
    after, _queries = _get(client, world.city_user, {"state__exact": "sent"})
    assert _checkbox(reminder.pk) in _results(after)


def test_skipping_settled_reminders_is_shown_at_once(client, world, live):
    _kept_then(client, world.city_user, params={"state__exact": "skipped"})
    o = obligation(live.letter, estate=world.estate)
    Obligation.objects.filter(pk=o.pk).update(state="submitted")
    assert reminders.skip_settled_reminders() >= 1
    after, _queries = _get(client, world.city_user, {"state__exact": "skipped"})
    assert _checkbox(Reminder.objects.get(obligation=o).pk) in _results(after)


def test_a_renamed_estate_or_firm_is_shown_at_once(client, world, live):
    first = _kept_then(client, world.city_user)
    assert "月湖花园" in _results(first)
    world.estate.name = "月湖新苑"
    world.estate.save()
    after, _queries = _get(client, world.city_user)
    assert "月湖新苑" in _results(after) and "月湖花园" not in _results(after)

    firm_row = Reminder.objects.get(obligation=obligation(live.firm_task, firm=world.firm))
    _kept_then(client, world.city_user)
    world.firm.name = "月湖物业服务有限公司"
    world.firm.save()
    after, _queries = _get(client, world.city_user)
    assert _checkbox(firm_row.pk) in _results(after) and "月湖物业服务有限公司" in _results(after)


def test_a_deleted_reminder_is_gone_at_once(client, world, live):
    first = _kept_then(client, world.city_user)
    gone = Reminder.objects.get(obligation=obligation(live.letter, estate=world.estate))
    assert _checkbox(gone.pk) in _results(first)
    Obligation.objects.get(pk=gone.obligation_id).delete()
    after, _queries = _get(client, world.city_user)
    assert _checkbox(gone.pk) not in _results(after)
    assert after.context["cl"].result_count == first.context["cl"].result_count - 1


def test_another_districts_user_never_sees_what_was_kept_for_the_first(client, world, live):
    mine, _queries = _get(client, world.district_user)
    theirs, _queries = _get(client, world.other_district_user)
    ours = Reminder.objects.filter(obligation__estate__street__parent=world.district)
    their_ids = set(Reminder.objects.filter(obligation__estate=world.other_estate).values_list("pk", flat=True))
    assert their_ids and ours.exists()
    assert theirs.context["cl"].result_count != mine.context["cl"].result_count
    for pk in their_ids:
        assert _checkbox(pk) in _results(theirs) and _checkbox(pk) not in _results(mine)
    for pk in ours.values_list("pk", flat=True):
        assert _checkbox(pk) not in _results(theirs)
    again, _queries = _get(client, world.district_user)
    assert _results(again) == _results(mine)


def test_the_kept_page_is_the_page_drawn_in_each_language(client, world, live):
    chinese = _kept_then(client, world.city_user)
    english, _queries = _get(client, world.city_user, language="en")
    with override("en"):
        label = str(Reminder.Kind.BEFORE.label)
    assert label != "到期前提醒" and label in _results(english) and "到期前提醒" not in _results(english)
    assert "到期前提醒" in _results(chinese)
    again, queries = _get(client, world.city_user, language="en")
    assert _reminder_reads(queries) == [] and _results(again) == _results(english)
