"""In-app notifications (list, unread count, mark read), the reminder admin (scoped log, manual
reminder page), reminder policies and the calendar admin."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import reminders
from core.models import CalendarDay
from notifications import services
from notifications.models import Notification, Reminder, ReminderPolicy
from tests.test_reminders import TODAY, Cast, _eager_celery  # noqa: F401 (autouse fixture)


@pytest.fixture
def cast(world):
    return Cast(world)


def notify(user, n=1, link=""):
    return [Notification.objects.create(user=user, title=f"提醒{i}", body="正文", link=link) for i in range(n)]


# --- unread count --------------------------------------------------------------------------------


def test_the_portal_navigation_shows_the_unread_count(client, world):
    notify(world.firm_user, 2)
    Notification.objects.create(user=world.firm_user, title="已读", read_at="2025-01-01T00:00Z")
    client.force_login(world.firm_user)
    html = client.get(reverse("notifications:list")).content.decode()
    assert 'unread-count">2<' in html


def test_the_admin_header_shows_the_unread_count(client, world):
    notify(world.district_user, 3)
    client.force_login(world.district_user)
    html = client.get(reverse("admin:index")).content.decode()
    assert "(3)" in html and reverse("notifications:list") in html


def test_the_unread_count_is_the_users_own(client, world):
    notify(world.other_firm_user, 5)
    client.force_login(world.firm_user)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "unread-count" not in html


# --- list and mark read --------------------------------------------------------------------------


def test_a_firm_user_sees_the_list_in_the_portal_layout(client, world):
    notify(world.firm_user)
    client.force_login(world.firm_user)
    response = client.get(reverse("notifications:list"))
    assert "notifications/list_portal.html" in [t.name for t in response.templates]
    assert "提醒0" in response.content.decode()


def test_bureau_staff_see_the_list_in_the_admin_layout(client, world):
    notify(world.district_user)
    client.force_login(world.district_user)
    response = client.get(reverse("notifications:list"))
    assert "notifications/list_admin.html" in [t.name for t in response.templates]


def test_the_list_shows_only_the_users_notifications(client, world):
    notify(world.other_firm_user)
    client.force_login(world.firm_user)
    assert "提醒0" not in client.get(reverse("notifications:list")).content.decode()


def test_the_unread_filter_hides_read_notifications(client, world):
    Notification.objects.create(user=world.firm_user, title="旧消息", read_at="2025-01-01T00:00Z")
    notify(world.firm_user)
    client.force_login(world.firm_user)
    html = client.get(reverse("notifications:list") + "?unread=1").content.decode()
    assert "提醒0" in html and "旧消息" not in html


def test_the_list_runs_the_same_queries_for_few_and_many(client, world):
    client.force_login(world.firm_user)

    def count():
        cache.clear()  # cold each time: a cached count would hide a query that grows
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("notifications:list")).status_code == 200
        return len(ctx)

    notify(world.firm_user, 2)
    few = count()
    notify(world.firm_user, 25)
    assert count() == few


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, world):
    (n,) = notify(world.firm_user, link="/portal/")
    client.force_login(world.firm_user)
    response = client.post(reverse("notifications:read", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/portal/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_a_foreign_link_is_not_followed(client, world):
    (n,) = notify(world.firm_user, link="https://evil.example/")
    client.force_login(world.firm_user)
    response = client.post(reverse("notifications:read", args=[n.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_another_users_notification_answers_404(client, world):
    (n,) = notify(world.other_firm_user)
    client.force_login(world.firm_user)
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_touches_only_the_users_notifications(client, world):
    notify(world.firm_user, 3)
    notify(world.other_firm_user, 1)
    client.force_login(world.firm_user)
    client.post(reverse("notifications:read_all"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_the_list_needs_a_login(client, db):
    assert client.get(reverse("notifications:list")).status_code == 302


# --- reminder admin ------------------------------------------------------------------------------


def _sent_reminders(cast):
    cast.obligation(TODAY)
    cast.obligation(TODAY, estate=cast.w.other_estate, reviewer=cast.w.other_district)
    reminders.sweep_reminders(today=TODAY)


def test_the_reminder_log_shows_a_district_only_its_reminders(client, cast):
    _sent_reminders(cast)
    client.force_login(cast.w.district_user)
    response = client.get(reverse("admin:notifications_reminder_changelist"))
    html = response.content.decode()
    assert "月湖花园" in html and "孔浦新村" not in html


def test_the_reminder_log_shows_recipients_and_state(client, cast):
    _sent_reminders(cast)
    client.force_login(cast.w.city_user)
    html = client.get(reverse("admin:notifications_reminder_changelist") + "?state__exact=sent").content.decode()
    assert "firm@example.com" in html and "other-firm@example.com" in html


def test_another_districts_reminder_answers_404(client, cast):
    _sent_reminders(cast)
    foreign = Reminder.objects.get(obligation__estate=cast.w.other_estate)
    client.force_login(cast.w.district_user)
    url = reverse("admin:notifications_reminder_change", args=[foreign.pk])
    assert client.get(url).status_code == 404


def test_the_reminder_log_runs_the_same_queries_for_few_and_many(client, cast):
    from tests import factories as f

    client.force_login(cast.w.city_user)

    def count():
        cache.clear()  # cold each time: a cached count would hide a query that grows
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("admin:notifications_reminder_changelist")).status_code == 200
        return len(ctx)

    cast.obligation(TODAY)
    reminders.sweep_reminders(today=TODAY)
    few = count()
    for _ in range(8):
        cast.obligation(TODAY, estate=f.EstateFactory(street=cast.w.street, firm=cast.w.firm))
    reminders.sweep_reminders(today=TODAY)
    assert count() == few


def test_staff_send_a_manual_reminder_from_the_admin(client, cast, django_capture_on_commit_callbacks):
    ob = cast.obligation(TODAY + datetime.timedelta(days=30))
    client.force_login(cast.w.district_user)
    url = reverse("admin:notifications_reminder_remind")
    assert "张贴致业主公开信" in client.get(url + f"?obligation={ob.pk}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"obligation": ob.pk})
    assert response.status_code == 302
    assert Reminder.objects.get().kind == "manual"
    assert mail.outbox[0].to == [cast.w.firm_user.email]


@pytest.mark.django_db(transaction=True)  # the send runs on commit, as in a real request, before the reply
def test_a_manual_reminder_to_a_firm_without_users_says_it_was_not_sent_and_who_to_add(client, world):
    from tests import factories as f

    cast = Cast(world)
    lonely_firm = f.FirmFactory(name="无人物业", district=world.district)
    ob = cast.obligation(TODAY, estate=f.EstateFactory(code="HS077", street=world.street, firm=lonely_firm))
    client.force_login(world.district_user)
    url = reverse("admin:notifications_reminder_remind")
    page = client.get(url + f"?obligation={ob.pk}").content.decode()
    assert "无人物业" in page and "请为该企业添加用户" in page  # said before the click, too
    response = client.post(url, {"obligation": ob.pk}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "未发出" in shown[0] and "无人物业" in shown[0] and "请为该企业添加用户" in shown[0]
    assert "已向" not in shown[0]
    reminder = Reminder.objects.get()
    assert reminder.state == Reminder.State.NO_RECIPIENT and mail.outbox == []
    assert "无接收人" in response.content.decode()  # the log's own state, not "发送失败"


@pytest.mark.django_db(transaction=True)
def test_a_sent_manual_reminder_names_who_received_it(client, world):
    cast = Cast(world)
    ob = cast.obligation(TODAY)
    client.force_login(world.district_user)
    response = client.post(reverse("admin:notifications_reminder_remind"), {"obligation": ob.pk}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "已向" in shown[0] and world.firm_user.username in shown[0]
    assert Reminder.objects.get().state == Reminder.State.SENT


@pytest.mark.django_db(transaction=True)
def test_resending_a_reminder_to_nobody_says_so(client, world):
    from tests import factories as f

    cast = Cast(world)
    ob = cast.obligation(TODAY, estate=f.EstateFactory(code="HS078", street=world.street,
                                                      firm=f.FirmFactory(name="空号物业", district=world.district)))
    reminder, _created = reminders.remind_now(obligation=ob, requested_by=world.district_user)
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.NO_RECIPIENT
    client.force_login(world.district_user)
    response = client.post(reverse("admin:notifications_reminder_changelist"),
                           {"action": "resend_selected", "_selected_action": [reminder.pk]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["已重发 1 条：发送成功 0 条，无接收人 1 条，发送失败 0 条，已跳过 0 条，排队中 0 条。"]


def test_a_manual_reminder_about_another_districts_obligation_answers_404(client, cast):
    ob = cast.obligation(TODAY, estate=cast.w.other_estate, reviewer=cast.w.other_district)
    client.force_login(cast.w.district_user)
    response = client.post(reverse("admin:notifications_reminder_remind"), {"obligation": ob.pk})
    assert response.status_code == 404
    assert Reminder.objects.count() == 0


def test_a_manual_reminder_for_accepted_work_shows_an_error(client, cast):
    ob = cast.obligation(TODAY, state="accepted")
    client.force_login(cast.w.district_user)
    response = client.post(reverse("admin:notifications_reminder_remind"), {"obligation": ob.pk})
    assert response.status_code == 200 and "无需催办" in response.content.decode()


def test_firm_users_cannot_open_the_manual_reminder_page(client, cast):
    client.force_login(cast.w.firm_user)
    response = client.get(reverse("admin:notifications_reminder_remind"))
    assert response.status_code in (302, 403, 404)


# --- policies and calendar -----------------------------------------------------------------------


def test_a_policy_refuses_bad_days(cast):
    from django.core.exceptions import ValidationError

    policy = ReminderPolicy(campaign=cast.campaign, days_before="7,abc")
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert "days_before" in exc.value.message_dict


def test_a_policy_normalises_its_days(cast):
    policy = ReminderPolicy(campaign=cast.campaign, days_before="1，7, 3")
    policy.full_clean()
    assert policy.days_before == "7,3,1"


def test_a_policy_needs_a_campaign_or_a_task(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ReminderPolicy(days_before="7").full_clean()


def test_city_staff_edit_the_calendar_and_districts_only_read_it(client, world):
    client.force_login(world.district_user)
    assert client.get(reverse("admin:core_calendarday_add")).status_code == 403
    client.force_login(world.city_user)
    response = client.post(reverse("admin:core_calendarday_add"),
                           {"date": "2031-01-01", "is_workday": "", "note": "元旦"})
    assert response.status_code == 302
    assert CalendarDay.objects.get().note == "元旦"


def test_the_calendar_admin_warns_until_the_year_has_its_statutory_holidays(client, world, monkeypatch):
    from core import admin_calendar

    monkeypatch.setattr(admin_calendar.timezone, "localdate", lambda: datetime.date(2030, 3, 1))
    CalendarDay.objects.create(date=datetime.date(2031, 1, 1), is_workday=False, note="元旦", holiday="new_year")
    client.force_login(world.city_user)
    html = client.get(reverse("admin:core_calendarday_changelist")).content.decode()
    assert "不含 2030 年的法定节假日" in html and "不含 2031 年" not in html
    # One holiday entered is not the year: the warning stays and names what is missing.
    assert "2031 年的法定节假日尚未录完：还缺 春节、清明节、劳动节、端午节、中秋节、国庆节" in html
    days = {"spring_festival": (1, 26), "qingming": (4, 5), "labour_day": (5, 1), "dragon_boat": (6, 24),
            "mid_autumn": (10, 1), "national_day": (10, 2)}
    for holiday, (month, day) in days.items():
        CalendarDay.objects.create(date=datetime.date(2031, month, day), is_workday=False, holiday=holiday)
    html = client.get(reverse("admin:core_calendarday_changelist")).content.decode()
    assert "2031 年" not in html


def test_staff_enter_a_holiday_with_its_name_in_the_admin(client, world):
    client.force_login(world.city_user)
    response = client.post(reverse("admin:core_calendarday_add"),
                           {"date": "2031-01-27", "is_workday": "", "holiday": "spring_festival", "note": "春节"})
    assert response.status_code == 302
    assert CalendarDay.objects.get().holiday == "spring_festival"


def test_city_staff_set_a_campaign_reminder_policy_in_the_admin(client, cast):
    client.force_login(cast.w.city_user)
    response = client.post(reverse("admin:notifications_reminderpolicy_add"), {
        "campaign": cast.campaign.pk, "enabled": "on", "days_before": "5, 2", "on_due_day": "on",
        "overdue_every": "7",
    })
    assert response.status_code == 302
    assert ReminderPolicy.objects.get().days_before == "5,2"


def test_a_district_cannot_change_the_city_campaigns_policy(client, cast):
    policy = ReminderPolicy.objects.create(campaign=cast.campaign)
    client.force_login(cast.w.district_user)
    response = client.post(reverse("admin:notifications_reminderpolicy_change", args=[policy.pk]),
                           {"campaign": cast.campaign.pk, "days_before": "1", "overdue_every": "0"})
    assert response.status_code in (403, 404)  # outside its scope (the issuing agency's subtree)
    policy.refresh_from_db()
    assert policy.days_before == "7,3,1"


def test_notify_mails_each_organisation_apart_after_commit(world, django_capture_on_commit_callbacks):
    from notifications.channels import Message

    message = Message(category="general", subject="材料已退回", text="请修改后重新提交。", summary="请修改")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(users=[world.firm_user, world.other_firm_user], message=message)
    assert Notification.objects.filter(title="材料已退回").count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["firm@example.com", "other-firm@example.com"]  # one each


def test_the_obligation_admin_page_links_to_the_manual_reminder(client, cast):
    ob = cast.obligation(TODAY + datetime.timedelta(days=30))
    client.force_login(cast.w.district_user)
    html = client.get(reverse("admin:campaigns_obligation_change", args=[ob.pk])).content.decode()
    assert reverse("admin:notifications_reminder_remind") + f"?obligation={ob.pk}" in html
