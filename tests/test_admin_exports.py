"""The generic Excel export of the admin changelists (core.xlsx_admin.XlsxAdminMixin without an
xlsx_exporter): Chinese headers, the user's scope only, values as Excel types, and a query count
that does not grow with the rows."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from campaigns.models import Action, Campaign, Obligation, ObligationEvent, Task
from core.models import CalendarDay
from documents.models import NoticeTemplate
from estates.models import Coordinator
from notifications.models import Digest, Reminder, ReminderPolicy
from tests import factories as f

D = datetime.date.fromisoformat
CJK = re.compile(r"[\u4e00-\u9fff]")


class Side:
    """One district's rows of every exported model; every text carries the tag (海曙 / 江北)."""

    def __init__(self, *, tag, district, estate, officer):
        self.tag, self.district, self.estate, self.officer = tag, district, estate, officer
        self.campaign = Campaign.objects.create(
            name=f"{tag}2025年创建活动", year=2025, issuing_agency=district, start_date=D("2025-01-01"),
            end_date=D("2025-12-31"), status=Campaign.Status.PUBLISHED,
        )
        self.action = Action.objects.create(campaign=self.campaign, order=1, code="a", name=f"{tag}专项行动")
        self.task = Task.objects.create(
            action=self.action, order=1, code="t", title=f"{tag}张贴公开信", window_start=D("2025-01-01"),
            deadline=D("2025-12-31"), party_kind="estate", requirement="张贴。",
        )
        self.obligation = Obligation.objects.create(
            campaign=self.campaign, task=self.task, estate=estate, reviewer=district, period_start=D("2025-01-01"),
            period_end=D("2025-06-30"), due_date=D("2025-06-30"), district=estate.district,
        )
        ReminderPolicy.objects.create(campaign=self.campaign)
        NoticeTemplate.objects.create(campaign=self.campaign, kind="open_letter", title=f"{tag}致业主公开信",
                                      body="正文")
        Coordinator.objects.create(estate=estate, name=f"{tag}协调员", phone="13800000001",
                                   appointed_on=D("2011-08-01"))
        self.events(1)
        self.reminders(1)
        Digest.objects.create(user=officer, agency=district, week=D("2025-06-09"), date=D("2025-06-10"),
                              overdue_count=3, state="sent", recipients=f"{tag}@example.com")

    def events(self, n):
        for i in range(n):
            ObligationEvent.objects.create(
                obligation=self.obligation, kind="submit", actor=self.officer, from_state="open",
                to_state="submitted", note=f"{self.tag}提交{i}",
            )

    def reminders(self, n):
        start = Reminder.objects.filter(obligation=self.obligation).count()
        for i in range(start, start + n):
            Reminder.objects.create(
                obligation=self.obligation, campaign=self.campaign, kind="before", date=D("2025-06-01") + datetime.
                timedelta(days=i), due_date=D("2025-06-30"), state="sent", recipients=f"{self.tag}@example.com",
                sent_at=timezone.now(),
            )

    def tasks(self, n):
        start = Task.objects.filter(action=self.action).count()
        for i in range(start, start + n):
            Task.objects.create(
                action=self.action, order=i + 1, code=f"t{i}", title=f"{self.tag}任务{i}",
                window_start=D("2025-01-01"), deadline=D("2025-12-31"), party_kind="estate", requirement="做。",
            )

    def coordinators(self, n):
        for i in range(n):
            Coordinator.objects.create(estate=self.estate, name=f"{self.tag}协调员{i}", phone="13800000002",
                                       appointed_on=D("2012-01-01"), is_current=False)

    def users(self, n):
        for _i in range(n):
            f.UserFactory(agency=self.district)


@pytest.fixture
def scene(world):
    world.mine = Side(tag="海曙", district=world.district, estate=world.estate, officer=world.district_user)
    world.foreign = Side(tag="江北", district=world.other_district, estate=world.other_estate,
                         officer=world.other_district_user)
    return world


def export(client, url_name, query=None):
    response = client.get(reverse(f"admin:{url_name}_xlsx_export"), query or {})
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def text(sheet, min_row=2):
    return " ".join(str(v) for row in sheet.iter_rows(min_row=min_row, values_only=True) for v in row if v is not None)


def column(sheet, header):
    headers = [c.value for c in sheet[1]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


# Every admin list that got the generic export, with the text its district-scoped rows show.
SCOPED = [
    "estates_agency",
    "estates_coordinator",
    "accounts_user",
    "campaigns_campaign",
    "campaigns_action",
    "campaigns_task",
    "campaigns_obligationevent",
    "notifications_reminder",
    "notifications_digest",
    "notifications_reminderpolicy",
    "documents_noticetemplate",
]


@pytest.mark.parametrize("url_name", SCOPED)
def test_the_export_has_chinese_headers_and_a_frozen_header_row(client, scene, url_name):
    client.force_login(scene.district_user)
    sheet = export(client, url_name)
    headers = [c.value for c in sheet[1]]
    assert headers and all(CJK.search(h) for h in headers), headers
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize("url_name", SCOPED)
def test_the_export_holds_only_the_officers_district(client, scene, url_name):
    client.force_login(scene.district_user)
    body = text(export(client, url_name))
    assert "海曙" in body or "月湖" in body
    assert "江北" not in body and "孔浦" not in body


@pytest.mark.parametrize("url_name", SCOPED)
def test_the_other_district_exports_its_own_rows_only(client, scene, url_name):
    client.force_login(scene.other_district_user)
    body = text(export(client, url_name))
    assert "江北" in body or "孔浦" in body
    assert "海曙" not in body and "月湖" not in body


@pytest.mark.parametrize("url_name", SCOPED)
def test_the_changelist_shows_the_export_button(client, scene, url_name):
    client.force_login(scene.district_user)
    response = client.get(reverse(f"admin:{url_name}_changelist"))
    assert response.status_code == 200
    assert reverse(f"admin:{url_name}_xlsx_export") in response.content.decode()


def test_the_campaign_list_keeps_its_own_buttons_next_to_the_export(client, scene):
    client.force_login(scene.district_user)
    html = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert reverse("admin:campaigns_campaign_roster") in html and 'class="xlsx-export"' in html


def test_the_notice_text_list_keeps_its_print_and_report_buttons(client, scene):
    client.force_login(scene.district_user)
    html = client.get(reverse("admin:documents_noticetemplate_changelist")).content.decode()
    assert reverse("admin:documents_noticetemplate_print") in html
    assert reverse("admin:documents_noticetemplate_report") in html
    assert 'class="xlsx-export"' in html


def test_link_columns_are_left_out(client, scene):
    client.force_login(scene.district_user)
    assert "查看" not in [c.value for c in export(client, "campaigns_campaign")[1]]
    assert "调整期限" not in [c.value for c in export(client, "campaigns_task")[1]]
    assert "催办" not in [c.value for c in export(client, "notifications_reminder")[1]]
    assert "预览" not in [c.value for c in export(client, "documents_noticetemplate")[1]]


def test_the_user_export_never_holds_a_password_hash(client, scene):
    client.force_login(scene.district_user)
    sheet = export(client, "accounts_user")
    body = text(sheet, min_row=1)
    assert "pbkdf2" not in body and "argon2" not in body and "密码" not in body
    assert "district" in column(sheet, "用户名")


def test_the_export_follows_the_changelist_search(client, scene):
    client.force_login(scene.city_user)
    sheet = export(client, "estates_coordinator", {"q": "江北"})
    assert column(sheet, "姓名") == ["江北协调员"]


def test_the_export_follows_the_changelist_filter(client, scene):
    Reminder.objects.filter(obligation=scene.mine.obligation).update(state="failed")
    client.force_login(scene.city_user)
    sheet = export(client, "notifications_reminder", {"state__exact": "failed"})
    assert set(column(sheet, "状态")) == {"发送失败"}
    assert len(column(sheet, "状态")) == 1


def test_choices_are_written_as_their_labels(client, scene):
    client.force_login(scene.district_user)
    sheet = export(client, "campaigns_obligationevent")
    assert column(sheet, "操作") == ["提交"]
    assert column(sheet, "新状态") == [str(Obligation.State("submitted").label)]


def test_datetimes_are_excel_dates_in_local_time_without_tzinfo(client, scene):
    at = datetime.datetime(2025, 6, 10, 1, 30, tzinfo=datetime.UTC)
    ObligationEvent.objects.filter(obligation=scene.mine.obligation).update(at=at)
    client.force_login(scene.district_user)
    sheet = export(client, "campaigns_obligationevent")
    assert column(sheet, "时间") == [datetime.datetime(2025, 6, 10, 9, 30)]  # Asia/Shanghai
    cell = sheet["A2"]
    assert cell.is_date and "yy" in cell.number_format


def test_dates_are_dates_and_booleans_are_yes_or_no(client, world):
    CalendarDay.objects.create(date=D("2030-02-04"), is_workday=False, note="春节", holiday="spring_festival")
    CalendarDay.objects.create(date=D("2030-02-09"), is_workday=True, note="春节调休上班")
    client.force_login(world.district_user)
    sheet = export(client, "core_calendarday")
    assert [c.value for c in sheet[1]] == ["日期", "星期", "工作日", "法定节假日", "说明"]
    assert column(sheet, "法定节假日") == ["春节", None]
    assert column(sheet, "日期") == [datetime.datetime(2030, 2, 4), datetime.datetime(2030, 2, 9)]
    assert column(sheet, "工作日") == ["否", "是"]
    assert column(sheet, "星期") == ["一", "六"]


def test_the_calendar_export_is_the_same_for_every_district(client, world):
    # The working-day calendar is city-wide (not scoped): both districts export every row.
    CalendarDay.objects.create(date=D("2030-02-04"), is_workday=False, note="春节")
    for user in (world.district_user, world.other_district_user):
        client.force_login(user)
        assert column(export(client, "core_calendarday"), "说明") == ["春节"]


def test_related_objects_are_written_as_their_names(client, scene):
    client.force_login(scene.district_user)
    sheet = export(client, "estates_coordinator")
    assert all("月湖花园" in value for value in column(sheet, "小区"))


def test_firm_users_cannot_export_admin_lists(client, scene):
    client.force_login(scene.firm_user)
    response = client.get(reverse("admin:campaigns_task_xlsx_export"))
    assert response.status_code == 302  # the admin login page, as for every admin URL


GROW = [
    ("estates_coordinator", "coordinators"),
    ("accounts_user", "users"),
    ("campaigns_task", "tasks"),
    ("campaigns_obligationevent", "events"),
    ("notifications_reminder", "reminders"),
]


@pytest.mark.parametrize(("url_name", "grow"), GROW)
def test_the_export_runs_the_same_queries_for_few_and_many_rows(client, scene, url_name, grow):
    client.force_login(scene.district_user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            sheet = export(client, url_name)
        return len(ctx.captured_queries), sheet.max_row

    few, few_rows = count()
    getattr(scene.mine, grow)(6)
    many, many_rows = count()
    assert many_rows == few_rows + 6
    assert many == few


def test_columns_get_widths_for_their_content(client, scene):
    client.force_login(scene.district_user)
    sheet = export(client, "campaigns_obligationevent")
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert widths["时间"] == 18  # a date and time
    assert widths["说明"] >= 30  # free text
    assert all(w >= 10 for w in widths.values())


def test_the_file_is_named_after_the_list(client, scene):
    client.force_login(scene.district_user)
    response = client.get(reverse("admin:notifications_digest_xlsx_export"))
    assert "filename*=utf-8''%E9%80%BE%E6%9C%9F%E6%B1%87%E6%80%BB%E8%AE%B0%E5%BD%95_" in response[
        "Content-Disposition"]  # 逾期汇总记录_<date>.xlsx
