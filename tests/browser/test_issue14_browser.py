"""Issue 14, part C: the bugs found in the browser, driven as a person would (labels, buttons, real date inputs),
each checked on the page that follows: bulk accept and bulk return from the review queue, the summary report
from its date form (a long job whose progress page appears at once), an older running campaign's overdue work
on the firm's home page, a manual reminder to a firm nobody can receive it at, and a stale QR code on a phone."""

import datetime
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from campaigns import selectors
from campaigns.demo import load_demo_campaign
from campaigns.models import Obligation, PartyKind
from core.models import Job
from estates.models import Agency
from notifications.models import Reminder
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish

pytestmark = pytest.mark.browser
State = Obligation.State


def _login(page, live_server, username, password, path):
    page.goto(f"{live_server.url}/accounts/login/?next={path}" if path.startswith("/portal")
              else f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


@pytest.fixture
def demo(demo_city):
    """The demo city with the demo campaign of `make run` (published, every state around today)."""
    campaign, _created = load_demo_campaign()
    return campaign


# --- review queue: bulk accept and bulk return ------------------------------------------------------------------

def test_district_officer_accepts_and_returns_in_bulk_from_the_review_queue(page, live_server, demo, demo_city):
    officer = User.objects.get(username="demo-district")
    queue = list(selectors.review_queue(user=officer).values_list("pk", flat=True)[:3])
    assert len(queue) == 3, "the demo campaign leaves submitted work in the district's queue"
    accept, give_back = queue[:2], queue[2]

    _login(page, live_server, "demo-district", demo_city, "/admin/campaigns/obligation/review-queue/")
    for pk in accept:
        page.locator(f'tr[data-obligation="{pk}"] input[name="ids"]').check()
    # The return reason is required for "退回" only: it must not block "审核通过".
    page.get_by_role("button", name="审核通过所选").click()
    expect(page.locator("ul.messagelist")).to_contain_text("已审核通过 2 条。")
    for pk in accept:
        expect(page.locator(f'tr[data-obligation="{pk}"]')).to_have_count(0)
    assert set(Obligation.objects.filter(pk__in=accept).values_list("state", flat=True)) == {State.ACCEPTED}

    page.locator(f'tr[data-obligation="{give_back}"] input[name="ids"]').check()
    reason = page.get_by_label("退回原因")
    page.get_by_role("button", name="退回所选").click()
    # Without a reason the browser itself refuses, and says why, on the box: nothing is sent.
    assert reason.evaluate("box => box.validity.valueMissing")
    assert Obligation.objects.get(pk=give_back).state == State.SUBMITTED
    reason.fill("照片不清晰，请补充公告栏全景。")
    page.get_by_role("button", name="退回所选").click()
    expect(page.locator("ul.messagelist")).to_contain_text("已退回 1 条。")
    returned = Obligation.objects.get(pk=give_back)
    assert returned.state == State.RETURNED and returned.review_note == "照片不清晰，请补充公告栏全景。"


# --- summary report: the date form, then a long job whose progress page appears at once -------------------------

def test_city_officer_generates_the_summary_report_and_sees_its_progress_at_once(page, live_server, demo, demo_city,
                                                                                 settings, assert_accessible):
    settings.JOBS_IN_THREADS = True  # the embedded default: no broker, the job runs in a background thread
    city = Agency.objects.get(level=Agency.Level.CITY)
    _login(page, live_server, "demo-city", demo_city, "/admin/documents/noticetemplate/report/")

    as_of = page.get_by_label("统计日期")
    # The browser's date input accepts only ISO: a localised value (2026/12/02) would show an empty box.
    expect(as_of).to_have_value(timezone.localdate().isoformat())
    page.get_by_label("创建活动").select_option(value=str(demo.pk))
    page.get_by_label("报告范围").select_option(value=str(city.pk))

    with page.expect_response(re.compile(r"/jobs/[0-9a-f-]+/$")) as first_view:
        started = time.monotonic()
        page.get_by_role("button", name="生成报告").click()
    reached_progress_page = time.monotonic() - started
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    job = Job.objects.order_by("-created_at").first()
    # The progress page was served while the job was still running: the request did not run it.
    assert "progress-bar-animated" in first_view.value.text(), f"job already finished ({reached_progress_page:.1f} s)"
    expect(page.locator("#job-progress")).to_be_visible()
    assert_accessible(page)

    expect(page.locator("#job-download")).to_be_visible(timeout=120_000)  # the same polling page as with Celery
    expect(page.locator("#job-state")).to_have_text("已完成")
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.result_name.endswith(".pdf")
    with page.expect_download() as download:
        page.locator("#job-download-link").click()
    assert download.value.suggested_filename == job.result_name


# --- the firm's home page: every running campaign, overdue first --------------------------------------------------

def test_firm_sees_an_older_running_campaigns_overdue_work_after_a_new_campaign_is_published(
        page, live_server, demo, demo_city, assert_accessible):
    firm_user = User.objects.get(username="demo-firm")
    overdue = selectors.obligation_list(user=firm_user, campaign=demo).overdue(timezone.localdate()).count()
    assert overdue, "the demo firm has overdue work in the demo campaign"
    today = timezone.localdate()
    newer = CampaignFactory(issuing_agency=Agency.objects.get(level=Agency.Level.CITY), name="2027年服务提升活动",
                            year=today.year, start_date=today, end_date=today + datetime.timedelta(days=200))
    TaskFactory(action=ActionFactory(campaign=newer), title="企业服务承诺公示", party_kind=PartyKind.FIRM,
                window_start=today, deadline=today + datetime.timedelta(days=30))
    publish(newer, user=User.objects.get(username="demo-city"))

    _login(page, live_server, "demo-firm", demo_city, "/portal/")
    panels = page.locator('section[data-panel="campaign"]')
    expect(panels).to_have_count(2)
    expect(panels.first).to_have_attribute("data-campaign", str(demo.pk))  # overdue first
    expect(panels.first.locator('[data-count="overdue"]')).to_have_text(str(overdue))
    expect(page.locator(f'section[data-campaign="{newer.pk}"]')).to_contain_text("2027年服务提升活动")
    assert_accessible(page)

    panels.first.get_by_role("link", name=re.compile("已逾期")).click()
    expect(page).to_have_url(re.compile(rf"/portal/campaigns/\?campaign={demo.pk}&f=overdue$"))
    expect(page.locator("tr[data-obligation]")).to_have_count(min(overdue, 50))
    assert_accessible(page)


# --- manual reminder to a firm nobody can receive it at -----------------------------------------------------------

def test_manual_reminder_to_a_firm_without_users_says_it_was_not_sent_and_who_to_add(page, live_server, demo,
                                                                                     demo_city):
    officer = User.objects.get(username="demo-district")
    with_users = set(User.objects.filter(firm__isnull=False, is_active=True).values_list("firm_id", flat=True))
    ob = (Obligation.objects.filter(campaign=demo, state=State.OPEN, estate__district=officer.agency,
                                    estate__firm__isnull=False)
          .exclude(estate__firm_id__in=with_users).select_related("estate__firm").order_by("pk").first())
    assert ob is not None
    firm = ob.estate.firm

    _login(page, live_server, "demo-district", demo_city, f"/admin/notifications/reminder/remind/?obligation={ob.pk}")
    # Said before the click: nobody would receive it, and who to add.
    expect(page.locator("[data-recipients]")).to_contain_text(firm.name)
    expect(page.locator("[data-recipients]")).to_contain_text("请为该企业添加用户")
    expect(page.locator("[data-obligation]")).to_contain_text(f"{ob.estate.code} {ob.estate.name}")  # as listed
    page.get_by_role("button", name="发送催办").click()

    expect(page).to_have_url(re.compile(r"/admin/notifications/reminder/$"))
    message = page.locator("ul.messagelist")
    expect(message).to_contain_text("催办提醒未发出")
    expect(message).to_contain_text(firm.name)
    expect(message).to_contain_text("请为该企业添加用户")
    expect(message).not_to_contain_text("已向")
    reminder = Reminder.objects.get(obligation=ob, kind=Reminder.Kind.MANUAL)
    assert reminder.state == Reminder.State.NO_RECIPIENT
    # The log names the state for what it is, not "发送失败".
    expect(page.locator("#result_list tbody tr").first).to_contain_text("无接收人")


# --- a stale QR code on a phone -------------------------------------------------------------------------------------

@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_a_stale_qr_code_on_a_phone_gets_the_portal_404_with_a_way_back(browser, live_server, demo_city, settings,
                                                                        assert_accessible, debug):
    settings.DEBUG = debug  # `make run` serves with DEBUG=1: the same page, not Django's technical 404
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/e/GONE404/")
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("找不到您要的页面")
        expect(page.locator("main")).to_contain_text("二维码可能已过期")
        # Mobile: nothing wider than the phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert_accessible(page)
        back = page.get_by_role("link", name="返回首页")
        expect(back).to_be_visible()
        box = back.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 390  # a thumb-sized target on the screen
        back.click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))  # the way back: the portal's front door
    finally:
        context.close()
