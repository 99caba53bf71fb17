"""Excel exports of the campaign lists: the filtered rows, Chinese headers, dates as dates;
large obligation exports run as a long job."""

import datetime

import pytest
from django.urls import reverse

from campaigns import exports, services
from core.models import Job
from tests.campaign_ui_fixtures import make_live, obligation, read_xlsx


@pytest.fixture
def live(world):
    return make_live(world)


def test_admin_obligation_export_contains_the_filtered_rows_with_chinese_headers(client, world, live):
    client.force_login(world.city_user)
    url = reverse("admin:campaigns_obligation_xlsx_export")
    rows = read_xlsx(client.get(url, {"overdue": "1", "district": world.district.pk}))
    assert rows[0][:4] == ["创建活动", "专项行动", "工作任务", "责任主体"]
    assert sorted(r[4] for r in rows[1:]) == ["HS001", "HS002"]
    assert all(r[2] == "张贴致业主公开信" and r[13] == "是" for r in rows[1:])


def test_exported_due_dates_are_excel_dates(client, world, live):
    client.force_login(world.city_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_obligation_xlsx_export")))
    header = rows[0]
    due = rows[1][header.index("完成期限")]
    assert isinstance(due, datetime.datetime)


def test_admin_obligation_export_of_a_district_officer_is_scoped(client, world, live):
    client.force_login(world.district_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_obligation_xlsx_export")))
    assert "孔浦新村" not in {r[3] for r in rows[1:]}
    assert len(rows) - 1 == 5


def test_large_admin_export_runs_as_a_job_with_the_same_rows(client, world, live, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    monkeypatch.setattr(exports, "OBLIGATION_EXPORT_SYNC_LIMIT", 1)
    client.force_login(world.district_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("admin:campaigns_obligation_xlsx_export"), {"overdue": "1"})
    job = Job.objects.get(kind="campaigns.obligations_export")
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.DONE, job.message
    rows = read_xlsx(client.get(reverse("jobs:download", args=[job.pk])))
    assert sorted(r[4] for r in rows[1:]) == ["HS001", "HS002"]


def test_portal_obligation_export_contains_the_firms_filtered_rows(client, world, live):
    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:obligations"), {"f": "due7", "export": "xlsx"}))
    assert rows[0][2] == "工作任务"
    assert sorted(r[4] for r in rows[1:]) == ["HS001", "HS002"]
    assert {r[2] for r in rows[1:]} == {"设置意见箱"}


def test_large_portal_export_runs_as_a_job(client, world, live, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(exports, "OBLIGATION_EXPORT_SYNC_LIMIT", 1)
    client.force_login(world.firm_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("campaigns:obligations"), {"f": "overdue", "export": "xlsx"})
    job = Job.objects.get(kind="campaigns.obligations_export")
    assert job.state == Job.State.DONE, job.message
    rows = read_xlsx(client.get(reverse("jobs:download", args=[job.pk])))
    assert len(rows) == 3


def test_review_queue_export_lists_the_submitted_obligations(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    client.force_login(world.district_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_obligation_review_queue"), {"export": "xlsx"}))
    assert rows[0][-1] == "提交人" and [r[4] for r in rows[1:]] == ["HS001"]


def test_training_exports_portal_and_admin(client, world, live):
    services.training_record(user=world.firm_user, date=live.today, topic="本企业培训", attendee_count=12)
    services.training_record(user=world.other_firm_user, date=live.today, topic="外企业培训")
    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:trainings"), {"export": "xlsx"}))
    assert rows[0][:2] == ["培训日期", "培训主题"] and [r[1] for r in rows[1:]] == ["本企业培训"]
    client.force_login(world.city_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_training_xlsx_export")))
    assert sorted(r[1] for r in rows[1:]) == ["外企业培训", "本企业培训"]


def test_activity_exports(client, world, live):
    services.activity_record(user=world.firm_user, kind="pairing", date=live.today, title="结对帮困走访")
    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:activities"), {"export": "xlsx"}))
    assert rows[0][:3] == ["活动日期", "活动类型", "活动名称"] and rows[1][1:3] == ["结对帮困活动", "结对帮困走访"]
    client.force_login(world.district_user)
    rows = read_xlsx(client.get(reverse("admin:campaigns_activity_xlsx_export")))
    assert [r[2] for r in rows[1:]] == ["结对帮困走访"]


def test_firm_roster_export(client, world, live):
    services.coordinator_file(user=world.firm_user, estate=world.estate2, name="李强", phone="13900000000",
                              appointed_on=live.today)
    client.force_login(world.firm_user)
    rows = read_xlsx(client.get(reverse("campaigns:coordinators"), {"export": "xlsx"}))
    assert [(r[2], r[5]) for r in rows[1:]] == [("HS001", "（未备案）"), ("HS002", "李强")]
