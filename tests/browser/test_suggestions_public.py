"""The suggestion box end to end, as residents use it: WeChat's in-app browser on a 390 x 844 phone.

A resident opens the estate page (the QR code's target), follows the link to the form, writes with a JPEG and an
iPhone HEIC photo, and gets the receipt with the tracking number and link; the firm acknowledges, answers and
resolves in the portal; the resident sees the answer, rates it and reopens it. An entry received before a
holiday falls due after it, as the working-day calendar says, and shows overdue in the inbox. Every public page
is checked with axe-core in both text modes. Screenshots: docs/screenshots/suggestions-form.png and
suggestions-tracking.png (UPDATE_SCREENSHOTS=1).
"""

import datetime
import io
import re

import pillow_heif
import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from core import workdays
from estates.models import Estate
from suggestions import services
from suggestions.models import Suggestion

pillow_heif.register_heif_opener()
pytestmark = pytest.mark.browser

WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
PHONE = {"width": 390, "height": 844}
TEXT = "3 号楼东侧的路灯坏了一个星期，晚上老人出门看不清台阶，请尽快修一下。"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, user_agent=WECHAT, locale="zh-CN", is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    yield context.new_page()
    context.close()


def _photo(folder, fmt, name, color):
    path = folder / name
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, fmt)
    path.write_bytes(buffer.getvalue())
    return path


def _estate_of(username):
    firm = User.objects.get(username=username).firm
    return Estate.objects.filter(firm=firm, is_active=True).order_by("code").first()


def _font_size(page):
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def _large_text_is_accessible(page, assert_accessible):
    """Switch to large text with the page's own switch, check it, switch back."""
    page.get_by_role("button", name="大字").click()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    assert _font_size(page) >= 24  # 18 pt
    assert float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")) >= 1.3 * 24
    assert_accessible(page)
    page.get_by_role("button", name="大字").click()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "false")


def _focus_is_visible(page, steps=8):
    """Keyboard only: each control Tab reaches shows a clear outline (WCAG 2.4.7)."""
    for _ in range(steps):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => { const el = document.activeElement, s = getComputedStyle(el);
            return {tag: el.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }""")
        assert style["tag"] != "BODY" and style["outline"] != "none" and style["width"] >= 2, style


def _no_sideways_scroll(page):
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


def test_a_resident_in_wechat_writes_in_and_follows_the_answer(
        phone, browser, live_server, demo_city, media, assert_accessible, screenshots):
    page = phone
    estate = _estate_of("demo-firm")

    # The estate page (the QR code's target) leads to the form.
    page.goto(f"{live_server.url}/e/{estate.code}/")
    assert "MicroMessenger" in page.evaluate("navigator.userAgent")
    link = page.get_by_role("link", name="网上意见箱 / 提出意见建议")
    assert link.bounding_box()["height"] >= 44
    assert_accessible(page)
    link.click()
    expect(page).to_have_url(f"{live_server.url}/e/{estate.code}/suggest/")
    expect(page.get_by_role("heading", level=1)).to_have_text("提出意见建议")
    assert_accessible(page)
    _focus_is_visible(page)
    _no_sideways_scroll(page)
    _large_text_is_accessible(page, assert_accessible)

    # The form filled in, with a JPEG and an iPhone HEIC photo.
    files = [_photo(media, "JPEG", "door.jpg", (180, 40, 40)), _photo(media, "HEIF", "IMG_0042.HEIC", (40, 40, 180))]
    page.get_by_label("设施维修").check()
    area = page.get_by_label("意见建议", exact=True)
    area.fill(TEXT)
    expect(page.locator("[data-counter-for]")).to_contain_text(f"已写 {len(TEXT)} 字")
    page.get_by_label("照片（可选，最多 3 张）").set_input_files(files)
    page.get_by_label("称呼（可选）").fill("王阿姨")
    page.get_by_label("手机号码（可选）").fill("13800138000")
    page.get_by_label("同意物业服务企业通过手机与我联系，并接收办理进展短信").check()
    page.screenshot(path=str(screenshots / "suggestions-form.png"), full_page=True)

    # Sent with too short a text: the error is next to the field, in words; nothing typed is lost, and the page
    # says the photos must be chosen again (a browser cannot be handed a file back).
    area.fill("灯坏了")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".sugg-error").first).to_contain_text("内容至少 10 个字")
    expect(page.get_by_label("称呼（可选）")).to_have_value("王阿姨")
    expect(page.get_by_label("手机号码（可选）")).to_have_value("13800138000")
    expect(page.get_by_label("设施维修")).to_be_checked()
    expect(page.locator("#form-problem")).to_contain_text("照片需要重新选择")
    assert_accessible(page)
    assert not Suggestion.private_objects.exists()

    page.get_by_label("意见建议", exact=True).fill(TEXT)
    page.get_by_label("照片（可选，最多 3 张）").set_input_files(files)
    page.get_by_role("button", name="提交").click()

    # The receipt: committed first, then shown on the private tracking page.
    expect(page).to_have_url(re.compile(r"/e/track/[\w-]{43}/\?new=1$"))
    entry = Suggestion.private_objects.get()
    assert entry.photos.count() == 2 and entry.photos.filter(event__isnull=True).count() == 2
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    expect(page.locator("#tracking-number")).to_have_text(entry.number)
    expect(page.locator("#tracking-link")).to_have_attribute("href", f"{live_server.url}/e/track/{entry.token}/")
    expect(page.get_by_text("138****8000")).to_be_visible()
    expect(page.locator(".sugg-photos img")).to_have_count(2)
    # Both thumbnails really load through the token (waited for: a page is shown before its images are).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sugg-photos img')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=15_000)
    assert_accessible(page)
    _no_sideways_scroll(page)
    _large_text_is_accessible(page, assert_accessible)
    track_url = f"{live_server.url}/e/track/{entry.token}/"

    # The firm logs in to the portal, acknowledges, answers and resolves.
    firm_context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    firm = firm_context.new_page()
    try:
        firm.goto(f"{live_server.url}/accounts/login/?next=/portal/suggestions/{entry.number}/")
        firm.get_by_label("用户名").fill("demo-firm")
        firm.get_by_label("密码").fill(demo_city)
        firm.get_by_role("button", name="登录").click()
        expect(firm).to_have_url(f"{live_server.url}/portal/suggestions/{entry.number}/")
        expect(firm.get_by_text("13800138000")).to_be_visible()  # the handler sees the full mobile
        firm.get_by_role("button", name="受理").click()
        firm.locator("form[data-action-form=reply]").get_by_label("答复内容").fill("已安排电工明天上午更换路灯。")
        firm.get_by_role("button", name="发送答复").click()
        expect(firm.get_by_text("已安排电工明天上午更换路灯。")).to_be_visible()
        firm.locator("form[data-action-form=resolve]").get_by_label("办理结果").fill("路灯已更换，晚上已能照亮台阶。")
        firm.get_by_role("button", name="办结：已解决").click()
        expect(firm.get_by_text("路灯已更换，晚上已能照亮台阶。")).to_be_visible()
    finally:
        firm_context.close()
    entry.refresh_from_db()
    assert entry.state == Suggestion.State.RESOLVED

    # The resident sees the answer, rates it, and reopens once.
    page.goto(track_url)
    expect(page.locator("#entry-state")).to_have_text("已解决")
    expect(page.get_by_text("已安排电工明天上午更换路灯。")).to_be_visible()
    expect(page.get_by_text("路灯已更换，晚上已能照亮台阶。")).to_be_visible()
    page.get_by_label("4 分 满意").check()
    page.get_by_label("评价（可选）").fill("修得快，谢谢。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#done-message")).to_have_text("谢谢您的评价！")
    expect(page.locator("#my-rating")).to_contain_text("您的评价：4 分")
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "suggestions-tracking.png"), full_page=True)
    page.get_by_label("申请重新办理的理由").fill("东侧第二盏灯还是不亮。")
    page.get_by_role("button", name="申请重新办理").click()
    expect(page.locator("#entry-state")).to_have_text("办理中")
    expect(page.get_by_role("button", name="申请重新办理")).to_have_count(0)  # once only
    entry.refresh_from_db()
    assert (entry.reopen_count, entry.rating) == (1, 4)
    assert_accessible(page)

    # A wrong token is 404; the number alone opens nothing.
    assert page.goto(f"{live_server.url}/e/track/{entry.number}/").status == 404


def test_an_entry_before_a_holiday_goes_overdue_as_the_working_day_calendar_says(
        page, live_server, demo_city, media):
    estate = _estate_of("demo-firm")
    # Received on the last working day before the National Day holiday (2026-10-01 to 10-07).
    received = timezone.make_aware(datetime.datetime(2026, 9, 30, 16, 0))
    entry = services.suggestion_submit(estate=estate, category="environment", text=TEXT, received=received)
    calendar_due = workdays.add_workdays(datetime.date(2026, 9, 30), 1)
    assert entry.acknowledge_due == calendar_due
    assert calendar_due > datetime.date(2026, 10, 7)  # not 10-01: the holiday is no working day
    assert all(not workdays.is_workday(datetime.date(2026, 10, d)) for d in range(1, 8))

    page.goto(f"{live_server.url}/accounts/login/?next=/portal/suggestions/?overdue=on")
    page.get_by_label("用户名").fill("demo-firm")
    page.get_by_label("密码").fill(demo_city)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("link", name=entry.number)).to_be_visible()
    page.get_by_role("link", name=entry.number).click()
    expect(page.locator("[data-field=deadline]")).to_contain_text("逾期")


def test_after_a_burst_the_proof_of_work_challenge_works_under_the_policy(
        phone, live_server, demo_city, media, settings, assert_accessible):
    settings.SUGGESTION_CHALLENGE_AFTER = 1  # from the first entry on, to see the widget
    page = phone
    estate = _estate_of("demo-firm")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(f"{live_server.url}/e/{estate.code}/suggest/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label("环境卫生").check()
    page.get_by_label("意见建议", exact=True).fill(TEXT)
    page.get_by_role("button", name="提交").click()  # without the check: refused, kept
    expect(page.locator("#form-problem")).to_contain_text("我不是机器人")
    expect(page.get_by_label("意见建议", exact=True)).to_have_value(TEXT)
    page.locator("altcha-widget").get_by_text("我不是机器人").click()  # a tap on its label, as a person does
    expect(page.locator("altcha-widget input[name=altcha]")).not_to_have_value("", timeout=30_000)
    assert_accessible(page)
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/e/track/[\w-]{43}/\?new=1$"))
    assert Suggestion.private_objects.count() == 1
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
