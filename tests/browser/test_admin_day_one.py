"""A bureau officer's first day in the admin, in a real browser (issue 14, part D): the demo city officer lands on
their campaigns, adds a task from the campaign's page with checkboxes, date inputs and the district picker (in
Chinese), publishes and closes through confirmation pages (cancelling once each), copies to a new year with a new
document number and files a training whose attendee count was left out."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from campaigns import selectors
from campaigns.models import Campaign, Obligation, PartyKind, Task, Training
from core.models import Job
from estates.models import Agency, Estate, PropertyFirm
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish

pytestmark = pytest.mark.browser


def _login(page, live_server, username, password, path="/admin/"):
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def _campaign(*, status=None, name="2026年文明物业创建活动"):
    """A campaign of the demo city running around today, with an estate task and a firm task."""
    city = Agency.objects.get(level=Agency.Level.CITY)
    today = timezone.localdate()
    campaign = CampaignFactory(issuing_agency=city, name=name, year=today.year,
                               start_date=today - datetime.timedelta(days=30),
                               end_date=today + datetime.timedelta(days=150))
    action = ActionFactory(campaign=campaign, order=1, code="harmony", name="和谐关系促进行动")
    TaskFactory(action=action, order=1, code="letter", title="张贴致业主公开信", party_kind=PartyKind.ESTATE,
                window_start=today - datetime.timedelta(days=20), deadline=today - datetime.timedelta(days=2))
    TaskFactory(action=action, order=2, code="self-check", title="企业自查报告", party_kind=PartyKind.FIRM,
                window_start=today - datetime.timedelta(days=20), deadline=today + datetime.timedelta(days=20))
    if status == Campaign.Status.PUBLISHED:
        publish(campaign)
    return campaign


def _run_action(page, live_server, campaign, label):
    page.goto(f"{live_server.url}/admin/campaigns/campaign/")
    page.locator(f'input[name="_selected_action"][value="{campaign.pk}"]').check()
    page.locator('select[name="action"]').select_option(label=label)
    page.get_by_role("button", name=re.compile("执行")).click()


def test_city_officer_lands_on_their_campaigns_without_technical_blocks(page, live_server, demo_city, screenshots):
    running = _campaign(status=Campaign.Status.PUBLISHED)
    draft = _campaign(name="2027年文明物业创建活动（草稿）")
    officer = User.objects.get(username="demo-city")
    Job.objects.create(kind="campaigns.obligations_export", title="任务责任导出", owner=officer,
                       organisation=officer.organisation_key,
                       state=Job.State.DONE, progress=100)
    landing = selectors.bureau_landing(user=officer)

    _login(page, live_server, "demo-city", demo_city)
    table = page.locator("#landing-campaigns")
    expect(table.locator("caption")).to_have_text("我的创建活动")
    row = table.locator(f'tr[data-campaign="{running.pk}"]')
    expect(row.locator("th")).to_have_text(running.name)
    expect(row.locator('td[data-field="total"]')).to_have_text(str(running.obligations.count()))
    expect(row.locator('td[data-field="overdue"]')).to_have_text(
        str(Obligation.objects.filter(campaign=running).overdue(timezone.localdate()).count()))
    expect(table.locator(f'tr[data-campaign="{draft.pk}"]')).to_contain_text("草稿，尚未发布")
    expect(page.locator("#landing-review strong")).to_have_text(str(landing["review_count"]))
    expect(page.locator("#landing-overdue strong")).to_have_text(str(landing["overdue_count"]))
    expect(page.locator("#landing-jobs")).to_contain_text("任务责任导出")

    captions = [c.strip() for c in page.locator("#content-main caption").all_inner_texts()]
    assert "创建活动管理" in captions
    for technical in ("Axes", "AXES", "登录安全", "周期任务", "Periodic Tasks", "认证和授权"):
        assert technical not in captions, captions
    expect(page.locator("#content-main")).not_to_contain_text("Axes")
    page.screenshot(path=str(screenshots / "admin-landing.png"), full_page=False)

    # A superuser keeps the technical apps, in Chinese, one click away.
    page.get_by_role("link", name=re.compile("系统维护")).click()
    expect(page.locator("#content-main")).to_contain_text("登录安全")
    expect(page.locator("#content-main")).to_contain_text("登录尝试")
    expect(page.locator("#content-main")).to_contain_text("周期任务")


def test_district_officer_lands_without_the_system_link(page, live_server, demo_city):
    running = _campaign(status=Campaign.Status.PUBLISHED)
    _login(page, live_server, "demo-district", demo_city)
    district = User.objects.get(username="demo-district").agency
    row = page.locator(f'#landing-campaigns tr[data-campaign="{running.pk}"]')
    expect(row.locator('td[data-field="total"]')).to_have_text(
        str(Obligation.objects.filter(campaign=running, district=district).count()))
    expect(page.get_by_role("link", name=re.compile("系统维护"))).to_have_count(0)
    assert page.goto(f"{live_server.url}/admin/system/").status == 404


def test_city_officer_adds_a_task_to_a_running_campaign_from_its_page(page, live_server, demo_city):
    campaign = _campaign(status=Campaign.Status.PUBLISHED)
    district = Agency.objects.filter(level=Agency.Level.DISTRICT).order_by("path").first()
    today = timezone.localdate()
    deadline = today + datetime.timedelta(days=25)

    _login(page, live_server, "demo-city", demo_city)
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    page.get_by_role("link", name="添加任务").click()
    expect(page).to_have_url(re.compile(r"/admin/campaigns/task/add/\?action="))
    expect(page.get_by_label("序号")).to_have_value("3")  # the action's next number

    page.get_by_label(re.compile(r"^工作任务[:：]?$")).fill("消防通道专项检查")
    page.get_by_label("工作要求").fill("检查消防通道是否畅通，拍照上传。")
    page.get_by_label("开始日期").fill(today.isoformat())
    page.get_by_label("完成期限").fill(deadline.isoformat())
    page.get_by_label("责任主体:").select_option(label="各住宅小区")
    page.get_by_label("一级资质").check()
    page.get_by_label("二级资质").check()
    page.get_by_label("文字说明").check()
    page.get_by_label("照片", exact=True).check()

    # The district picker (filter_horizontal) speaks Chinese: Django 5.2's zh_Hans lacks these strings.
    picker = page.locator(".selector")
    expect(picker).to_contain_text("可用 适用区域")
    expect(picker).to_contain_text("选中要选择的适用区域")
    expect(picker.get_by_role("button", name="全选适用区域")).to_be_visible()
    assert "by selecting them" not in picker.inner_text()
    assert not re.search(r"\bChoose\b|\bRemove\b", picker.inner_text())
    page.locator("#id_districts_from").select_option(label=str(district))
    picker.get_by_role("button", name="选择选中的适用区域").click()
    expect(page.locator("#id_districts_to option")).to_have_text([str(district)])

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text("已为“消防通道专项检查”生成任务责任")
    expect(page).to_have_url(re.compile(r"/admin/campaigns/task/\?campaign=" + str(campaign.pk)))
    expect(page.locator("#result_list")).to_contain_text("消防通道专项检查")

    task = Task.objects.get(title="消防通道专项检查")
    assert task.action.campaign == campaign and task.deadline == deadline and task.window_start == today
    assert task.firm_grades == [1, 2] and task.evidence_kinds == ["text", "photos"]
    assert list(task.districts.all()) == [district]
    expected = set(Estate.objects.filter(district=district, is_active=True, firm__is_active=True,
                                         firm__grade__in=[1, 2]).values_list("pk", flat=True))
    assert expected and set(task.obligations.values_list("estate", flat=True)) == expected
    expect(page.locator("ul.messagelist")).to_contain_text(f"生成任务责任 {len(expected)} 条")


def test_city_officer_publishes_and_closes_through_confirmation_pages(page, live_server, demo_city):
    campaign = _campaign()
    estates = Estate.objects.filter(is_active=True, firm__isnull=False, firm__is_active=True).count()
    firms = PropertyFirm.objects.filter(is_active=True).count()
    _login(page, live_server, "demo-city", demo_city)

    # Publish: the page says what will be created; cancelling creates nothing.
    _run_action(page, live_server, campaign, "发布所选活动（生成任务责任）")
    preview = page.locator(f'.publish-preview[data-campaign="{campaign.pk}"]')
    expect(preview.locator("h2")).to_contain_text(f"共生成 {estates + firms} 条任务责任")
    kinds = preview.locator("table.preview-kinds tbody tr")
    expect(kinds).to_have_count(2)
    expect(kinds.nth(0)).to_contain_text("各住宅小区")
    expect(kinds.nth(0).locator("td").last).to_have_attribute("data-count", str(estates))
    expect(kinds.nth(1)).to_contain_text("各物业服务企业")
    expect(kinds.nth(1).locator("td").last).to_have_attribute("data-count", str(firms))
    expect(preview.locator("table.preview-tasks tbody tr")).to_have_count(2)
    page.get_by_role("link", name="取消，返回活动列表").click()
    expect(page).to_have_url(f"{live_server.url}/admin/campaigns/campaign/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and not Obligation.objects.filter(campaign=campaign).exists()

    _run_action(page, live_server, campaign, "发布所选活动（生成任务责任）")
    page.get_by_role("button", name="确认发布").click()
    expect(page.locator("ul.messagelist")).to_contain_text(f"已发布，生成任务责任 {estates + firms} 条")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED
    assert Obligation.objects.filter(campaign=campaign).count() == estates + firms

    # Close: the page says what is left undone; cancel once, then confirm.
    _run_action(page, live_server, campaign, "结束所选活动")
    totals = page.locator(f'.close-preview[data-campaign="{campaign.pk}"] tfoot tr')
    expect(totals.locator("td").first).to_have_attribute("data-count", str(estates + firms))
    page.get_by_role("link", name="取消，返回活动列表").click()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PUBLISHED

    _run_action(page, live_server, campaign, "结束所选活动")
    page.get_by_role("button", name="确认结束").click()
    expect(page.locator("ul.messagelist")).to_contain_text("已结束")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED


def test_city_officer_copies_a_campaign_to_a_new_year_with_its_new_document_number(page, live_server, demo_city):
    campaign = _campaign(status=Campaign.Status.PUBLISHED)
    campaign.document_number = "甬建〔2026〕8号"
    campaign.save()
    _login(page, live_server, "demo-city", demo_city)

    _run_action(page, live_server, campaign, "复制到新年度")
    expect(page.locator("#content-main")).to_contain_text("原文号“甬建〔2026〕8号”不会沿用")
    expect(page.get_by_label("新年度")).to_have_value(str(campaign.year + 1))
    number = page.get_by_label("新文号")
    expect(number).to_have_value("")
    number.fill("甬建〔2027〕3号")
    page.get_by_role("button", name="复制").click()

    copy = Campaign.objects.get(copied_from=campaign)
    expect(page).to_have_url(f"{live_server.url}/admin/campaigns/campaign/{copy.pk}/change/")
    expect(page.get_by_label("文号")).to_have_value("甬建〔2027〕3号")
    assert copy.document_number == "甬建〔2027〕3号" and copy.year == campaign.year + 1


def test_training_filed_without_its_attendee_count_is_an_error(page, live_server, demo_city):
    _login(page, live_server, "demo-city", demo_city)
    page.goto(f"{live_server.url}/admin/campaigns/training/add/")
    count = page.get_by_label("参训人数")
    expect(count).to_have_value("")  # no silent 0
    page.get_by_label("培训日期").fill(timezone.localdate().isoformat())
    page.get_by_label("培训主题").fill("物业服务规范培训")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-attendee_count .errorlist")).to_contain_text("这个字段是必填项")
    expect(page.get_by_label("培训主题")).to_have_value("物业服务规范培训")  # nothing typed is lost
    assert not Training.objects.exists()

    page.get_by_label("参训人数").fill("45")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    assert Training.objects.get().attendee_count == 45
