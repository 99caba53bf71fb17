"""Firm portal pages of the campaign engine: my obligations, evidence, records, coordinators."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns import services
from campaigns.models import Evidence, EvidenceFile, Obligation, Training
from estates.models import Coordinator
from tests.campaign_ui_fixtures import add_estates, make_live, obligation, real_pdf, real_photo


@pytest.fixture
def live(world):
    return make_live(world)


State = Obligation.State
LIST = "campaigns:obligations"


def detail_url(o):
    return reverse("campaigns:obligation_detail", args=[o.pk])


# --- list --------------------------------------------------------------------------------------

def test_firm_sees_only_its_obligations(client, world, live):
    client.force_login(world.firm_user)
    response = client.get(reverse(LIST) + "?campaign=all")
    shown = {o.pk for o in response.context["page"].object_list}
    mine = set(Obligation.objects.for_firm(world.firm).values_list("pk", flat=True))
    assert shown == mine
    assert not Obligation.objects.filter(pk__in=shown, estate=world.other_estate).exists()
    assert "孔浦新村" not in response.content.decode()


def test_list_filters_overdue_and_counts_each_filter(client, world, live):
    client.force_login(world.firm_user)
    response = client.get(reverse(LIST), {"f": "overdue"})
    rows = list(response.context["page"].object_list)
    assert {o.task_id for o in rows} == {live.letter.pk}
    assert len(rows) == 2  # HS001 and HS002
    counts = {key: count for key, _label, count in response.context["filters"]}
    assert counts["overdue"] == 2 and counts["due7"] == 2 and counts["all"] == 5


def test_list_filters_returned(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="已完成自查")
    services.obligation_return(obligation=o, user=world.district_user, reason="缺少整改清单")
    client.force_login(world.firm_user)
    response = client.get(reverse(LIST), {"f": "returned"})
    assert [r.pk for r in response.context["page"].object_list] == [o.pk]


def test_list_filters_by_estate(client, world, live):
    client.force_login(world.firm_user)
    response = client.get(reverse(LIST), {"estate": "HS002"})
    assert {r.estate_id for r in response.context["page"].object_list} == {world.estate2.pk}


def test_bureau_user_is_sent_away_from_the_portal(client, world, live):
    client.force_login(world.district_user)
    assert client.get(reverse(LIST)).status_code == 302


def _firm_list_queries(client, world):
    client.force_login(world.firm_user)
    client.get(reverse(LIST))  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(LIST), {"campaign": "all"})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page"].object_list)


def test_firm_list_runs_the_same_queries_for_10_and_500_estates(client, world):
    add_estates(world, 8)  # with HS001, HS002: 10 estates
    live = make_live(world)
    small, rows_small = _firm_list_queries(client, world)
    add_estates_more(world, 490)
    services.obligations_sync(campaign=live.campaign)  # bulk-created estates send no signal
    large, rows_large = _firm_list_queries(client, world)
    assert rows_small == 21 and rows_large == 50  # a full page at 500 estates
    assert small == large


def add_estates_more(world, n):
    from estates.models import Estate

    Estate.objects.bulk_create([
        Estate(code=f"MORE{i:05d}", name=f"扩充小区{i}", district=world.district, street=world.street,
               firm=world.firm, category=2, year_built=2005, households=100)
        for i in range(n)
    ])


# --- detail and scoping ------------------------------------------------------------------------

def test_detail_shows_requirement_deadline_and_state(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    client.force_login(world.firm_user)
    page = client.get(detail_url(o)).content.decode()
    assert "在小区公告栏张贴公开信并拍照留存。" in page
    assert o.due_date.strftime("%Y-%m-%d") in page
    assert "已逾期" in page


def test_other_firms_obligation_detail_is_404(client, world, live):
    o = obligation(live.letter, estate=world.other_estate)
    client.force_login(world.firm_user)
    assert client.get(detail_url(o)).status_code == 404


def test_other_firms_obligation_evidence_post_is_404_and_saves_nothing(client, world, live):
    o = obligation(live.letter, estate=world.other_estate)
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "冒充提交"})
    assert response.status_code == 404
    assert not Evidence.objects.filter(obligation=o).exists()
    o.refresh_from_db()
    assert o.state == State.OPEN


def test_submit_with_text_submits_and_records_late(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "已在 3 个单元张贴。"})
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.state == State.SUBMITTED and o.late is True
    assert o.evidence.get().text == "已在 3 个单元张贴。"


def test_submit_with_missing_required_photo_shows_the_service_message_and_keeps_text(client, world, live):
    o = obligation(live.box, estate=world.estate)
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "意见箱已设置在正门"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请上传至少一张照片。" in page and "意见箱已设置在正门" in page
    o.refresh_from_db()
    assert o.state == State.OPEN


def test_submit_with_real_photo_is_accepted_and_stored_with_its_type(client, world, live):
    o = obligation(live.box, estate=world.estate)
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "已设置", "photos": [real_photo("意见箱.jpg")]})
    assert response.status_code == 302
    stored = EvidenceFile.objects.get(evidence__obligation=o)
    assert stored.kind == EvidenceFile.Kind.PHOTO and stored.original_name == "意见箱.jpg"


def test_upload_of_a_text_file_named_pdf_is_refused_and_the_text_is_kept(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    fake = SimpleUploadedFile("自查报告.pdf", "这不是 PDF，只是文字。".encode(), content_type="application/pdf")
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "情况说明草稿", "documents": [fake]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件内容不是允许的类型" in page and "自查报告.pdf" in page
    assert "情况说明草稿" in page
    assert not Evidence.objects.filter(obligation=o).exists()


def test_upload_of_an_exe_renamed_jpg_is_refused(client, world, live):
    o = obligation(live.box, estate=world.estate)
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200,
                             content_type="image/jpeg")
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "照片见附件", "photos": [exe]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件内容不是 JPEG、PNG 或 WebP 图片" in page and "照片见附件" in page
    assert not EvidenceFile.objects.exists()


def test_upload_of_a_jpeg_header_without_an_image_is_refused(client, world, live):
    o = obligation(live.box, estate=world.estate)
    broken = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, content_type="image/jpeg")
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "x", "photos": [broken]})
    assert "图片已损坏" in response.content.decode()


def test_upload_over_the_size_limit_is_refused_with_a_chinese_message(client, world, live, settings):
    settings.MAX_EVIDENCE_UPLOAD_SIZE = 1024
    o = obligation(live.letter, estate=world.estate)
    big = SimpleUploadedFile("大文件.pdf", b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n", content_type="application/pdf")
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "已张贴", "documents": [big]})
    page = response.content.decode()
    assert response.status_code == 200 and "超过上限" in page and "已张贴" in page
    assert not Evidence.objects.filter(obligation=o).exists()


def test_ooxml_upload_is_accepted(client, world, live):
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    sheet = SimpleUploadedFile("名单.xlsx", out.getvalue(), content_type="application/octet-stream")
    o = obligation(live.letter, estate=world.estate)
    client.force_login(world.firm_user)
    response = client.post(detail_url(o), {"text": "名单见附件", "documents": [sheet]})
    assert response.status_code == 302
    assert EvidenceFile.objects.get().file.name.endswith(".xlsx")


def test_png_named_jpg_is_stored_as_png(client, world, live):
    from tests.campaign_ui_fixtures import png_bytes

    o = obligation(live.box, estate=world.estate)
    client.force_login(world.firm_user)
    client.post(detail_url(o), {"photos": [SimpleUploadedFile("a.jpg", png_bytes(), content_type="image/jpeg")]})
    assert EvidenceFile.objects.get().file.name.endswith(".png")


def test_submit_return_resubmit_accept_flow_through_the_views(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    client.force_login(world.firm_user)
    assert client.post(detail_url(o), {"text": "第一次提交"}).status_code == 302
    client.force_login(world.district_user)
    review = reverse("admin:campaigns_obligation_review", args=[o.pk])
    client.post(review, {"decision": "return", "note": "请补充整改清单"})
    o.refresh_from_db()
    assert o.state == State.RETURNED
    client.force_login(world.firm_user)
    page = client.get(detail_url(o)).content.decode()
    assert "请补充整改清单" in page and "重新提交材料" in page
    assert client.post(detail_url(o), {"text": "补充了整改清单"}).status_code == 302
    o.refresh_from_db()
    assert o.state == State.SUBMITTED
    client.force_login(world.district_user)
    client.post(review, {"decision": "accept", "note": "同意"})
    o.refresh_from_db()
    assert o.state == State.ACCEPTED
    assert list(o.events.values_list("kind", flat=True)) == ["submit", "return", "resubmit", "accept"]
    assert o.evidence.count() == 2


def test_accepted_obligation_offers_no_form_and_refuses_a_post(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    services.obligation_accept(obligation=o, user=world.district_user)
    client.force_login(world.firm_user)
    assert client.get(detail_url(o)).context["form"] is None
    client.post(detail_url(o), {"text": "再交一次"})
    assert o.evidence.count() == 1


# --- records and coordinators ------------------------------------------------------------------

def test_training_form_files_a_training_of_the_firm(client, world, live):
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:trainings"), {
        "date": live.today.isoformat(), "topic": "文明物业专题培训", "attendee_count": 30, "photos": [real_photo()]})
    assert response.status_code == 302
    training = Training.objects.get()
    assert training.organiser_firm == world.firm and training.photos.count() == 1


def test_training_form_refuses_a_fake_photo_and_keeps_the_topic(client, world, live):
    client.force_login(world.firm_user)
    fake = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    response = client.post(reverse("campaigns:trainings"), {
        "date": live.today.isoformat(), "topic": "消防培训", "attendee_count": 5, "photos": [fake]})
    assert response.status_code == 200 and "消防培训" in response.content.decode()
    assert not Training.objects.exists()


def test_activity_form_files_an_activity(client, world, live):
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:activities"), {
        "kind": "convenience", "date": live.today.isoformat(), "title": "便民义务维修", "estate": world.estate.pk,
        "participant_count": 12})
    assert response.status_code == 302
    assert world.firm.activities.get().estate == world.estate


def test_activity_form_does_not_offer_another_firms_estate(client, world, live):
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:activities"), {
        "kind": "convenience", "date": live.today.isoformat(), "title": "x", "estate": world.other_estate.pk,
        "participant_count": 1})
    assert response.status_code == 200
    assert not world.firm.activities.exists()


def test_coordinator_form_files_the_coordinator(client, world, live):
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:coordinators"), {
        "estate": world.estate.pk, "name": "王芳", "phone": "13800000000", "appointed_on": live.today.isoformat()})
    assert response.status_code == 302
    assert Coordinator.objects.get(estate=world.estate, is_current=True).name == "王芳"


def _roster(rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["小区编码", "小区名称", "协调员姓名", "联系电话", "聘任日期"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("名册.xlsx", out.getvalue())


def test_roster_template_downloads(client, world):
    client.force_login(world.firm_user)
    response = client.get(reverse("campaigns:roster_template"))
    from tests.campaign_ui_fixtures import read_xlsx

    assert response.status_code == 200
    assert read_xlsx(response)[0][:3] == ["小区编码", "小区名称", "协调员姓名"]


def test_roster_upload_files_every_row(client, world, live):
    client.force_login(world.firm_user)
    upload = _roster([["HS001", "", "王芳", "13800000000", "2026-01-05"], ["hs002", "", "李强", "13900000000",
                                                                          "2026-01-06"]])
    response = client.post(reverse("campaigns:roster_upload"), {"file": upload})
    assert response.status_code == 302
    assert set(Coordinator.objects.filter(is_current=True).values_list("estate__code", "name")) == {
        ("HS001", "王芳"), ("HS002", "李强")}


def test_roster_upload_with_one_bad_row_saves_nothing_and_offers_the_marked_copy(client, world, live):
    client.force_login(world.firm_user)
    upload = _roster([["HS001", "", "王芳", "13800000000", "2026-01-05"],
                      ["JB001", "", "外企业", "13900000000", "2026-01-06"]])
    response = client.post(reverse("campaigns:roster_upload"), {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "找不到本单位在管的小区“JB001”" in page and response.context["marked_url"]
    assert not Coordinator.objects.exists()


# --- navigation and dashboard ------------------------------------------------------------------

def test_portal_nav_has_my_tasks(client, world, live):
    client.force_login(world.firm_user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse(LIST) in page and "我的任务" in page


def test_dashboard_panel_counts_overdue_due_this_week_and_returned(client, world, live):
    o = obligation(live.firm_task, firm=world.firm)
    services.obligation_submit(obligation=o, user=world.firm_user, text="完成")
    services.obligation_return(obligation=o, user=world.district_user, reason="补充")
    client.force_login(world.firm_user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-count="overdue">2<' in page
    assert 'data-count="due7">2<' in page
    assert 'data-count="returned">1<' in page
    assert f'{reverse(LIST)}?campaign={live.campaign.pk}&amp;f=overdue' in page


def _newer_campaign(world, live, name="新发布的创建活动"):
    """A campaign published after `live`, with a task not yet due: nothing overdue in it."""
    import datetime

    from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish

    newer = CampaignFactory(issuing_agency=world.city, name=name, year=live.today.year,
                            start_date=live.today, end_date=live.today + datetime.timedelta(days=200))
    TaskFactory(action=ActionFactory(campaign=newer), title="新任务", party_kind="firm",
                window_start=live.today, deadline=live.today + datetime.timedelta(days=30), evidence_kinds=["text"])
    publish(newer, user=world.city_user)
    return newer


def test_dashboard_keeps_an_older_running_campaigns_overdue_work_when_a_new_one_is_published(client, world, live):
    newer = _newer_campaign(world, live)
    client.force_login(world.firm_user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert f'data-campaign="{live.campaign.pk}"' in page and f'data-campaign="{newer.pk}"' in page
    # Overdue first: the older campaign with overdue work comes before the newer one.
    assert page.index(f'data-campaign="{live.campaign.pk}"') < page.index(f'data-campaign="{newer.pk}"')
    assert f'{reverse(LIST)}?campaign={live.campaign.pk}&amp;f=overdue' in page


def test_dashboard_panels_run_the_same_queries_for_one_and_four_campaigns(client, world, live):
    client.force_login(world.firm_user)
    client.get(reverse("portal:dashboard"))  # warm the session and the content types
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("portal:dashboard"))
    for i in range(3):
        _newer_campaign(world, live, name=f"另一创建活动{i}")
    with CaptureQueriesContext(connection) as four_computed:  # the new campaigns' counts: not cached yet
        page = client.get(reverse("portal:dashboard")).content.decode()
    with CaptureQueriesContext(connection) as four:
        again = client.get(reverse("portal:dashboard")).content.decode()
    assert again.count('data-panel="campaign"') == 4
    assert page.count('data-panel="campaign"') == 4
    assert len(four) == len(one), [q["sql"] for q in four.captured_queries]
    # Computed, the counts are one GROUP BY for all four campaigns (selectors.firm_campaign_panels).
    assert len(four_computed) == len(one) + 1, [q["sql"] for q in four_computed.captured_queries]



def test_firm_downloads_its_evidence_file_and_another_firm_gets_404(client, world, live):
    o = obligation(live.letter, estate=world.estate)
    services.obligation_submit(obligation=o, user=world.firm_user, text="见附件",
                               files=[(EvidenceFile.Kind.DOCUMENT, real_pdf("自查报告.pdf"))])
    item = EvidenceFile.objects.get()
    url = reverse("campaigns:evidence_file", args=[o.pk, item.pk])
    client.force_login(world.firm_user)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(world.other_firm_user)
    assert client.get(url).status_code == 404


def test_coordinator_form_with_a_bad_phone_keeps_the_name(client, world, live):
    client.force_login(world.firm_user)
    response = client.post(reverse("campaigns:coordinators"), {
        "estate": world.estate.pk, "name": "赵敏", "phone": "号码不详", "appointed_on": live.today.isoformat()})
    assert response.status_code == 200
    assert "赵敏" in response.content.decode() and response.context["form"].errors
