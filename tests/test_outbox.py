"""Issue 15, section 4: the generic outbox (notifications/outbox.py, notifications/registry.py).

The protocol for any registered kind (unique key, claim with lease and token, retry, failure),
every kind of recipient (a user, an organisation expanded to its active users, a bare address),
the four campaign events that reached nobody before (returned, accepted, new work, new
submissions in a daily digest), each exactly once and honouring the user's email choice, and
that notifications/ imports nothing from campaigns/.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Obligation
from notifications import events, outbox, registry
from notifications.channels import Message
from notifications.models import Notification, OutboxMessage
from notifications.registry import Recipient
from tests import factories as f
from tests.campaign_factories import PHOTO, CampaignFactory, TaskFactory, photo, publish
from tests.test_reminders import BrokenSMTP, _eager_celery  # noqa: F401 (autouse fixture)

State = OutboxMessage.State
PING = "tests.ping"
D = datetime.date


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def ping():
    """A message kind of the test's own, as a later app would register it."""

    def render(message):
        if message.payload.get("skip"):
            return registry.Skip("不再需要")
        return Message(category="general", subject=f"【测试】{message.payload['text']}", text=message.payload["text"],
                       summary=message.payload["text"], link="/portal/")

    kind = registry.register_message_kind(PING, label="测试消息", render=render,
                                          recipients=lambda payload: [Recipient.user(payload["user"])])
    yield kind
    registry.unregister_message_kind(PING)


def rows(**filters):
    return OutboxMessage.objects.filter(**filters)


# --- the protocol --------------------------------------------------------------------------------


def test_queuing_the_same_message_twice_stores_and_sends_it_once(world, ping):
    outbox.enqueue(PING, key="one", payload={"text": "你好", "user": world.firm_user.pk})
    outbox.enqueue(PING, key="one", payload={"text": "你好", "user": world.firm_user.pk})
    assert rows().count() == 1
    first, second = outbox.flush(), outbox.flush()
    assert (first.sent, second.claimed) == (1, 0)
    assert [m.to for m in mail.outbox] == [[world.firm_user.email]]
    assert Notification.objects.filter(user=world.firm_user, title="【测试】你好").count() == 1
    row = rows().get()
    assert row.state == State.SENT and row.subject == "【测试】你好" and world.firm_user.email in row.recipients
    assert mail.outbox[0].extra_headers["X-Notification-Key"] == f"{PING}/one/{row.date}/user:{world.firm_user.pk}"


def test_the_send_is_queued_after_commit(world, ping, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.enqueue(PING, key="later", payload={"text": "提交后发送", "user": world.firm_user.pk})
    assert mail.outbox == [] and len(callbacks) == 1  # nothing leaves before the transaction commits
    callbacks[0]()
    assert len(mail.outbox) == 1 and rows().get().state == State.SENT


@pytest.fixture
def handovers(monkeypatch):
    """The ``send_queued`` tasks queued (run in process, as without a broker)."""
    from notifications import tasks

    queued, delay = [], tasks.send_queued.delay
    monkeypatch.setattr(tasks.send_queued, "delay", lambda: queued.append(delay()))
    return queued


def test_a_transaction_that_queues_many_messages_hands_them_over_once(
        world, ping, handovers, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = world.firm_user.pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        outbox.enqueue(PING, key="one", payload={"text": "一", "user": user})
        outbox.enqueue(PING, key="two", payload={"text": "二", "user": user})
        with transaction.atomic():
            outbox.enqueue(PING, key="three", payload={"text": "三", "user": user})
    assert mail.outbox == [] and handovers == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(handovers) == 1 and handovers[0].result["claimed"] == 3  # one task took the three
    assert len(mail.outbox) == 3 and set(rows().values_list("state", flat=True)) == {State.SENT}
    with django_capture_on_commit_callbacks(execute=True):  # the next transaction: its own hand-over
        outbox.enqueue(PING, key="four", payload={"text": "四", "user": user})
    assert len(handovers) == 2 and len(mail.outbox) == 4


def test_a_hand_over_queued_in_a_rolled_back_savepoint_is_queued_again_by_the_next_message(
        world, ping, handovers, django_capture_on_commit_callbacks):
    from django.db import transaction

    user = world.firm_user.pk
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                outbox.enqueue(PING, key="gone", payload={"text": "撤销", "user": user})
                raise RuntimeError("the change is rolled back, and its message with it")
        except RuntimeError:
            pass
        outbox.enqueue(PING, key="kept", payload={"text": "保留", "user": user})
    assert len(handovers) == 1
    assert list(rows().values_list("key", "state")) == [("kept", State.SENT)] and len(mail.outbox) == 1


def test_the_request_makes_no_claim_the_hand_over_task_does(world, ping, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    """After the commit the request only queues one task (a broker round trip, no query); the worker claims."""
    from notifications import tasks

    queued = []
    monkeypatch.setitem(tasks.send_queued.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_queued, "delay", lambda *a, **k: queued.append((a, k)))
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(PING, key="later", payload={"text": "稍后", "user": world.firm_user.pk})
    assert queued == [((), {})] and len(ctx) == 1  # the INSERT only
    assert rows().get().state == State.PENDING
    monkeypatch.undo()
    assert tasks.send_queued.delay().result["sent"] == 1  # the worker's claim, batch and send (eager here)
    assert rows().get().state == State.SENT


def test_messages_of_several_kinds_are_stored_in_one_insert_and_handed_over_once(
        world, ping, handovers, django_capture_on_commit_callbacks):
    held = "tests.ping_digest"
    registry.register_message_kind(held, label="测试汇总", digest="daily", render=lambda message: None,
                                   recipients=lambda payload: [Recipient.user(payload["user"])])
    try:
        user = world.firm_user.pk
        with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
            outbox.enqueue_each([(PING, "a", {"text": "甲", "user": user}, None),
                                 (held, "b", {"user": user}, None),
                                 (PING, "c", {"text": "丙", "user": user}, [Recipient.user(world.firm_user)],
                                  D(2030, 1, 2))])
        assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["INSERT"]  # the three rows, one statement
        assert sorted(rows().values_list("key", "state", "date")) == [
            ("a", State.SENT, timezone.localdate()), ("b", OutboxMessage.State.HELD, timezone.localdate()),
            ("c", State.SENT, D(2030, 1, 2))]
        assert len(handovers) == 1
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue_each([(held, "d", {"user": user}, None)])  # held only: nothing to hand over
        assert len(handovers) == 1
        with pytest.raises(LookupError):
            outbox.enqueue_each([("tests.nobody_registered_this", "x", {}, [Recipient.user(world.firm_user)])])
    finally:
        registry.unregister_message_kind(held)


def test_an_unregistered_kind_is_refused_when_queued(world):
    with pytest.raises(LookupError):
        outbox.enqueue("tests.nobody_registered_this", key="x", recipients=[Recipient.user(world.firm_user)])


def test_two_claims_of_the_same_rows_only_one_wins(world, ping):
    outbox.enqueue(PING, key="a", payload={"text": "甲", "user": world.firm_user.pk})
    outbox.enqueue(PING, key="b", payload={"text": "乙", "user": world.firm_user.pk})
    first, won = outbox.claim_batch(OutboxMessage)
    second, lost = outbox.claim_batch(OutboxMessage)
    assert (won, lost, second) == (2, 0, None)
    assert set(rows().values_list("claim_token", flat=True)) == {first}


def test_a_crashed_workers_claim_is_taken_again_after_the_lease_and_the_old_worker_writes_nothing(
        world, ping, settings):
    outbox.enqueue(PING, key="lease", payload={"text": "租约", "user": world.firm_user.pk})
    crashed, _count = outbox.claim_batch(OutboxMessage)
    assert outbox.claim_batch(OutboxMessage) == (None, 0)  # a live claim is not taken
    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_LEASE_SECONDS + 1)
    retaken, count = outbox.claim_batch(OutboxMessage, now=later)
    assert count == 1 and retaken != crashed
    outbox.send_outbox_batch(token=retaken)
    assert outbox.send_outbox_batch(token=crashed).claimed == 0  # lost its lease: sends and writes nothing
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1
    assert rows().get().attempts == 2


def test_an_smtp_failure_is_retried_by_the_next_flush_and_given_up_after_the_maximum(world, ping, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    outbox.enqueue(PING, key="smtp", payload={"text": "重试", "user": world.firm_user.pk})
    assert outbox.flush().failed == 1
    row = rows().get()
    assert row.state == State.FAILED and "SMTPConnectError" in row.last_error
    assert Notification.objects.count() == 0  # in-app only with the delivery, so exactly once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.flush().sent == 1
    assert rows().get().attempts == 2 and Notification.objects.count() == 1

    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenSMTP"
    outbox.enqueue(PING, key="smtp-2", payload={"text": "放弃", "user": world.firm_user.pk})
    outbox.flush()
    outbox.flush()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.flush()
    assert rows(key="smtp-2").get().state == State.FAILED


def test_a_kind_may_decline_a_message_when_it_no_longer_applies(world, ping):
    outbox.enqueue(PING, key="skip", payload={"text": "x", "skip": True, "user": world.firm_user.pk})
    outbox.flush()
    row = rows().get()
    assert row.state == State.SKIPPED and row.last_error == "不再需要" and mail.outbox == []


def test_sending_a_batch_costs_the_same_queries_whatever_its_size(world, ping):
    def send_queries(n):
        OutboxMessage.objects.all().delete()
        for i in range(n):
            outbox.enqueue(PING, key=f"q{n}-{i}", recipients=[Recipient.firm(world.firm)],
                           payload={"text": f"第{i}条"})
        token, _count = outbox.claim_batch(OutboxMessage)
        with CaptureQueriesContext(connection) as ctx:
            outbox.send_outbox_batch(token=token)
        return len(ctx)

    # The rows and the organisations' users are read once; one UPDATE marks the batch sent and one
    # INSERT writes its in-app notifications, in one transaction (SAVEPOINT + RELEASE here).
    small = send_queries(3)
    assert send_queries(30) == small
    assert rows().filter(state=State.SENT).count() == 30
    assert Notification.objects.filter(title__in=rows().values("subject")).count() >= 30



def test_the_rows_of_a_batch_each_get_their_own_recipients_and_subject_in_one_update(world, ping):
    """The batch's UPDATE sets per-row values (a CASE on the primary key, written as SQL with parameters):
    each row its own, quotes and percent signs kept; a row another sender holds is left alone."""
    users = [world.firm_user, world.other_firm_user, world.district_user]
    for i, user in enumerate(users):
        outbox.enqueue(PING, key=f"own-{i}", payload={"text": f"第{i}条 'it''s' 100% %s", "user": user.pk})
    outbox.enqueue(PING, key="theirs", payload={"text": "别人的", "user": world.firm_user.pk})
    theirs = rows(key="theirs").get()
    token, count = outbox.claim_batch(OutboxMessage, pks=[r.pk for r in rows().exclude(key="theirs")])
    other, _count = outbox.claim_batch(OutboxMessage, pks=[theirs.pk])
    assert count == 3 and other
    with CaptureQueriesContext(connection) as ctx:
        assert outbox.send_outbox_batch(token=token).sent == 3
    assert sum(q["sql"].startswith("UPDATE") for q in ctx.captured_queries) == 1
    for i, user in enumerate(users):
        row = rows(key=f"own-{i}").get()
        assert row.state == State.SENT and row.subject == f"【测试】第{i}条 'it''s' 100% %s"
        assert row.recipients == f"{user.get_full_name() or user.username}; {user.email}"
    theirs.refresh_from_db()
    assert theirs.state == State.SENDING and theirs.recipients == "" and theirs.subject == ""


# --- recipients ----------------------------------------------------------------------------------


def test_an_organisation_is_expanded_to_its_active_users_each_with_their_email_choice(world, ping):
    colleague = f.UserFactory(username="firm-colleague", firm=world.firm)
    quiet = f.UserFactory(username="firm-quiet", firm=world.firm, email_notifications=False)
    gone = f.UserFactory(username="firm-gone", firm=world.firm, is_active=False)
    outbox.enqueue(PING, key="org", recipients=[Recipient.firm(world.firm)], payload={"text": "致企业"})
    outbox.flush()
    assert sorted(mail.outbox[0].to) == sorted([world.firm_user.email, colleague.email])
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"firm", "firm-colleague",
                                                                                   "firm-quiet"}
    assert not Notification.objects.filter(user=gone).exists() and quiet.email not in mail.outbox[0].to
    assert world.other_firm_user.email not in mail.outbox[0].to


def test_an_organisation_without_users_is_logged_as_no_recipient_and_sent_once_it_has_some(world, ping):
    lonely = f.FirmFactory(name="无人物业", district=world.district)
    outbox.enqueue(PING, key="lonely", recipients=[Recipient.firm(lonely)], payload={"text": "有人吗"})
    result = outbox.flush()
    row = rows().get()
    assert row.state == State.NO_RECIPIENT and result.failed == 0 and "无人物业" in row.last_error
    newcomer = f.UserFactory(username="newcomer", firm=lonely)
    outbox.flush(started=timezone.now() + datetime.timedelta(seconds=1))
    assert rows().get().state == State.SENT and mail.outbox[0].to == [newcomer.email]


def test_a_bare_email_address_without_an_account_gets_the_mail_and_no_in_app_notification(world, ping):
    outbox.enqueue(PING, key="resident", recipients=[Recipient.bare("resident@example.org", "email")],
                   payload={"text": "您的意见已收到"})
    outbox.flush()
    assert [m.to for m in mail.outbox] == [["resident@example.org"]]
    assert Notification.objects.count() == 0
    row = rows().get()
    assert row.state == State.SENT and row.recipient == "email:resident@example.org"


def test_a_malformed_bare_email_address_is_skipped_not_retried(world, ping):
    outbox.enqueue(PING, key="bad", recipients=[Recipient.bare("not-an-address", "email")], payload={"text": "x"})
    outbox.flush()
    row = rows().get()
    assert row.state == State.SKIPPED and "not-an-address" in row.last_error and mail.outbox == []


def test_a_phone_number_waits_for_its_channel_and_none_records_without_sending(world, ping):
    outbox.enqueue(PING, key="sms", recipients=[Recipient.bare("13800000000", "sms")], payload={"text": "短信"})
    outbox.enqueue(PING, key="none", recipients=[Recipient.bare("13900000000", "none")], payload={"text": "不发"})
    outbox.flush()
    sms, none = rows(key="sms").get(), rows(key="none").get()
    assert sms.state == State.NO_RECIPIENT and "sms" in sms.last_error  # tried again once SMS exists
    assert none.state == State.SKIPPED and mail.outbox == []


def test_a_bare_address_needs_its_channel():
    with pytest.raises(ValueError):
        Recipient.bare("13800000000", "")


# --- the four campaign events ------------------------------------------------------------------------


@pytest.fixture
def campaign(world):
    return CampaignFactory(issuing_agency=world.city)


def add_task(campaign, **kwargs):
    from tests.campaign_factories import ActionFactory

    action = campaign.actions.first() or ActionFactory(campaign=campaign)
    return TaskFactory(action=action, **kwargs)


@pytest.fixture
def letter(world, campaign):
    task = add_task(campaign, title="张贴致业主公开信", evidence_kinds=["text", "photos"])
    publish(campaign)
    OutboxMessage.objects.all().delete()  # the publication's own message is tested apart
    return Obligation.objects.get(task=task, estate=world.estate)


SUBMITTED_ON = D(2011, 7, 30)


def submit(ob, user, day=SUBMITTED_ON):
    return campaign_services.obligation_submit(obligation=ob, user=user, now=at(day), text="已张贴",
                                               files=[(PHOTO, photo())])


def test_a_return_tells_the_firm_why_once(world, letter):
    submit(letter, world.firm_user)
    now = at(D(2011, 7, 31))
    campaign_services.obligation_return(obligation=letter, user=world.district_user, reason="照片不清晰", now=now)
    events.emit("campaigns.obligation_returned", obligation_ids=[letter.pk], reason="照片不清晰", at=now)  # again
    returned = rows(kind="campaigns.obligation_returned")
    assert returned.count() == 1 and returned.get().recipient == f"firm:{world.firm.pk}"
    outbox.flush()
    (message,) = [m for m in mail.outbox if "退回" in m.subject]
    assert message.to == [world.firm_user.email] and "照片不清晰" in message.body and "张贴致业主公开信" in message.body
    assert Notification.objects.filter(user=world.firm_user, body__contains="照片不清晰").count() == 1


def test_a_second_return_after_a_resubmission_is_a_second_message(world, letter):
    submit(letter, world.firm_user)
    campaign_services.obligation_return(obligation=letter, user=world.district_user, reason="缺照片",
                                        now=at(D(2011, 7, 30), 11))
    submit(letter, world.firm_user, day=D(2011, 7, 30))
    campaign_services.obligation_return(obligation=letter, user=world.district_user, reason="仍缺照片",
                                        now=at(D(2011, 7, 30), 15))
    assert rows(kind="campaigns.obligation_returned").count() == 2


def test_an_acceptance_tells_the_firm_once_and_respects_its_email_choice(world, letter):
    world.firm_user.email_notifications = False
    world.firm_user.save()
    submit(letter, world.firm_user)
    now = at(D(2011, 7, 31))
    campaign_services.obligation_accept(obligation=letter, user=world.district_user, note="很好", now=now)
    events.emit("campaigns.obligation_accepted", obligation_ids=[letter.pk], note="很好", at=now)
    assert rows(kind="campaigns.obligation_accepted").count() == 1
    outbox.flush()
    assert [m for m in mail.outbox if "审核通过" in m.subject] == []  # email off: in-app only
    assert Notification.objects.filter(user=world.firm_user, title__contains="审核通过").count() == 1
    assert rows(kind="campaigns.obligation_accepted").get().state == State.SENT


def test_a_bulk_return_tells_each_party_of_each_obligation(world, campaign):
    task = add_task(campaign, evidence_kinds=["text"])
    publish(campaign)
    obs = list(Obligation.objects.filter(task=task, estate__in=[world.estate, world.estate2]))
    for ob in obs:
        campaign_services.obligation_submit(obligation=ob, user=world.firm_user, now=at(D(2011, 7, 30)), text="好")
    campaign_services.obligation_return_many(obligations=obs, user=world.district_user, reason="请补充",
                                             now=at(D(2011, 7, 31)))
    assert rows(kind="campaigns.obligation_returned").count() == 2


def test_publishing_tells_each_firm_once_what_where_and_by_when(world, campaign):
    add_task(campaign, title="张贴致业主公开信", deadline=D(2011, 7, 31))
    add_task(campaign, title="设置意见箱", deadline=D(2011, 8, 15))
    publish(campaign)
    campaign.refresh_from_db()
    events.emit("campaigns.new_work", campaign_id=campaign.pk, origin="publish", at=campaign.published_at)
    new_work = rows(kind="campaigns.new_work")
    # One per firm (月湖物业 manages two estates, 孔浦物业 one), not one per obligation.
    assert sorted(new_work.values_list("recipient", flat=True)) == sorted(
        [f"firm:{world.firm.pk}", f"firm:{world.other_firm.pk}"])
    outbox.flush()
    (message,) = [m for m in mail.outbox if m.to == [world.firm_user.email]]
    assert "【新任务】" in message.subject and "2011-07-31" in message.subject
    assert "张贴致业主公开信" in message.body and "设置意见箱" in message.body and "2011-08-15" in message.body
    assert "月湖花园" in message.body and "南门小区" in message.body and "孔浦新村" not in message.body


def test_a_task_added_after_publishing_tells_each_firm_of_it_once(world, campaign):
    first = add_task(campaign, title="张贴致业主公开信")
    publish(campaign)
    OutboxMessage.objects.all().delete()
    task, created = campaign_services.task_add(
        action=first.action, order=9, code="box", title="设置意见箱", requirement="在出入口设置。",
        window_start=D(2011, 7, 1), deadline=D(2011, 9, 30), party_kind="estate", today=D(2011, 7, 10))
    assert created == 3
    new_work = rows(kind="campaigns.new_work")
    assert new_work.count() == 2 and {r.key for r in new_work} == {f"task/{task.pk}"}
    outbox.flush()
    (message,) = [m for m in mail.outbox if m.to == [world.firm_user.email]]
    assert "设置意见箱" in message.body and "张贴致业主公开信" not in message.body


def test_new_submissions_reach_the_reviewers_in_one_daily_digest(world, letter):
    second = Obligation.objects.get(task=letter.task, estate=world.estate2)
    submit(letter, world.firm_user)
    submit(second, world.firm_user)
    events.emit("campaigns.obligation_submitted", obligation_ids=[letter.pk], at=at(D(2011, 7, 30)))  # again
    held = rows(kind="campaigns.obligation_submitted")
    assert held.count() == 2 and set(held.values_list("state", flat=True)) == {State.HELD}
    outbox.flush(today=D(2011, 7, 30))  # the day's submissions wait for tomorrow's digest
    assert mail.outbox == []

    outbox.flush(today=D(2011, 7, 31))
    outbox.flush(today=D(2011, 7, 31))  # the hourly flush again: nothing twice
    digest = rows(kind="campaigns.obligation_submitted", key=outbox.DIGEST_KEY).get()
    assert digest.recipient == f"agency:{world.district.pk}" and digest.state == State.SENT
    assert set(held.exclude(pk=digest.pk).values_list("state", flat=True)) == {State.DIGESTED}
    (message,) = mail.outbox
    assert message.to == [world.district_user.email] and "新提交 2 项" in message.subject
    assert "月湖花园" in message.body and "南门小区" in message.body
    assert Notification.objects.filter(user=world.district_user).count() == 1


def test_the_digest_respects_the_reviewers_email_choice(world, letter):
    world.district_user.email_notifications = False
    world.district_user.save()
    submit(letter, world.firm_user)
    outbox.flush(today=D(2011, 7, 31))
    assert mail.outbox == []
    assert Notification.objects.filter(user=world.district_user, title__contains="待审核").count() == 1


# --- the dependency points one way ----------------------------------------------------------------------


def test_notifications_imports_nothing_from_campaigns():
    root = Path(__file__).resolve().parents[1] / "notifications"
    pattern = re.compile(r"^\s*(from\s+campaigns[\s.]|import\s+campaigns\b)", re.MULTILINE)
    offenders = [str(p.relative_to(root.parent)) for p in root.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


# --- the message log -----------------------------------------------------------------------------------


def test_the_message_log_shows_a_district_the_messages_of_its_organisations_only(client, world, ping):
    from django.urls import reverse

    outbox.enqueue(PING, key="mine", recipients=[Recipient.firm(world.firm)], payload={"text": "本区企业"})
    outbox.enqueue(PING, key="theirs", recipients=[Recipient.firm(world.other_firm)], payload={"text": "外区企业"})
    outbox.enqueue(PING, key="bare", recipients=[Recipient.bare("x@example.org", "email")], payload={"text": "住户"})
    outbox.flush()
    client.force_login(world.district_user)
    response = client.get(reverse("admin:notifications_outboxmessage_changelist"))
    html = response.content.decode()
    assert response.status_code == 200 and "【测试】本区企业" in html and "测试消息" in html
    assert "外区企业" not in html and "x@example.org" not in html
    foreign = rows(key="theirs").get()
    assert client.get(reverse("admin:notifications_outboxmessage_change", args=[foreign.pk])).status_code == 404
    client.force_login(world.firm_user)
    assert client.get(reverse("admin:notifications_outboxmessage_changelist")).status_code in (302, 403, 404)


def test_the_hourly_flush_folds_the_daily_digest_from_the_morning_on(world, letter, settings, monkeypatch):
    submit(letter, world.firm_user)
    tomorrow = at(D(2011, 7, 31), 0) + datetime.timedelta(minutes=15)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    settings.OUTBOX_DIGEST_HOUR = 8
    outbox.flush()  # 00:15: the submissions wait
    assert mail.outbox == [] and rows(key=outbox.DIGEST_KEY).count() == 0
    monkeypatch.setattr(timezone, "now", lambda: tomorrow + datetime.timedelta(hours=8))
    outbox.flush()  # 08:15
    assert [m.to for m in mail.outbox] == [[world.district_user.email]]


def test_a_group_robot_gets_the_message_through_its_webhook(world, ping, settings, monkeypatch):
    import json
    import urllib.request

    settings.NOTIFICATION_CHANNELS = ["notifications.channels.EmailChannel", "notifications.channels.RobotChannel"]
    posted = []

    class Answer:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.body

    def urlopen(request, timeout):
        posted.append((request.full_url, json.loads(request.data)))
        return Answer(b'{"errcode": 0}')

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    outbox.enqueue(PING, key="robot", recipients=[Recipient.bare(hook, "robot")], payload={"text": "群通知"})
    outbox.enqueue(PING, key="evil", recipients=[Recipient.bare("http://10.0.0.1/hook", "robot")],
                   payload={"text": "伪造"})
    outbox.flush()
    assert [(url, body["text"]["content"].splitlines()[0]) for url, body in posted] == [(hook, "【测试】群通知")]
    assert rows(key="robot").get().state == State.SENT and mail.outbox == [] and Notification.objects.count() == 0
    evil = rows(key="evil").get()
    assert evil.state == State.SKIPPED and "not allowed" in evil.last_error  # never called, never retried


def test_commits_while_a_sending_task_waits_queue_no_second_one(world, ping, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    """With a broker, a burst of submissions queues one ``send_queued`` while it waits (outbox.SENDING_MARK_KEY);
    once it starts, the next commit queues another, and the waiting task sends every row of the burst."""
    from notifications import tasks

    queued = []
    monkeypatch.setitem(tasks.send_queued.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_queued, "delay", lambda *a, **k: queued.append((a, k)))
    for key in ("a", "b", "c"):
        with django_capture_on_commit_callbacks(execute=True):
            outbox.enqueue(PING, key=key, payload={"text": key, "user": world.firm_user.pk})
    assert len(queued) == 1
    monkeypatch.undo()
    assert outbox.send_queued().sent == 3  # the one task sends the whole burst, and drops the mark first…
    monkeypatch.setitem(tasks.send_queued.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_queued, "delay", lambda *a, **k: queued.append((a, k)))
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(PING, key="d", payload={"text": "d", "user": world.firm_user.pk})
    assert len(queued) == 2  # …so a commit after it started queues a task of its own


def test_a_broker_that_refuses_the_task_leaves_no_mark(world, ping, monkeypatch, django_capture_on_commit_callbacks):
    from notifications import tasks

    def refuse(*a, **k):
        raise ConnectionError("broker down")

    monkeypatch.setitem(tasks.send_queued.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_queued, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(PING, key="a", payload={"text": "a", "user": world.firm_user.pk})
    from django.core.cache import cache

    assert cache.get(outbox.SENDING_MARK_KEY) is None  # the next commit tries the broker again
    assert rows().get().state == State.PENDING  # and the hourly flush would send it
