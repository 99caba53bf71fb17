"""The firm's inbox in a browser: the demo firm logs in, finds 意见箱 in the menu, opens an entry, acknowledges it,
replies with a template (the select fills the reply) and a photo, resolves it; each page is checked and axe-clean.
Screenshot: docs/screenshots/suggestions-inbox.png (UPDATE_SCREENSHOTS=1)."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from estates.models import Estate
from suggestions import services
from suggestions.models import Category, ReplyTemplate, Suggestion, SuggestionEvent

pytestmark = pytest.mark.browser


def _jpeg():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 30)).save(out, "JPEG")
    return out.getvalue()


def _entries(firm):
    estate = Estate.objects.filter(firm=firm, is_active=True).order_by("code").first()
    late = services.suggestion_submit(estate=estate, category=Category.ENVIRONMENT,
                                      text="垃圾桶一周没有清运了，气味很大。",
                                      received=timezone.now() - datetime.timedelta(days=10))
    entry = services.suggestion_submit(estate=estate, category=Category.FACILITIES,
                                       text="5 号楼电梯这周坏了两次，老人上下楼很不方便。", name="李大爷",
                                       mobile="13912345678", consent_contact=True)
    return entry, late


def test_the_firm_acknowledges_replies_with_a_template_and_a_photo_and_resolves(
        page, live_server, demo_city, assert_accessible, screenshots, tmp_path):
    user = User.objects.get(username="demo-firm")
    entry, late = _entries(user.firm)
    ReplyTemplate.objects.create(firm=user.firm, title="电梯维修", text="您好，已通知电梯维保单位，今天下午到场维修。")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("demo-firm")
    page.get_by_label("密码").fill(demo_city)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")

    # The menu says how many entries wait (two new, one of them late).
    menu = page.locator("#portal-nav").get_by_role("link", name=re.compile("意见箱"))
    expect(menu.locator("[data-nav-badge]")).to_have_text(re.compile("2"))
    menu.click()
    expect(page).to_have_url(f"{live_server.url}/portal/suggestions/")
    expect(page.locator(f'tr[data-entry="{late.number}"] [data-overdue]')).to_be_visible()
    expect(page.locator(f'tr[data-entry="{entry.number}"] [data-days-left]')).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "suggestions-inbox.png"), full_page=True)

    # Filter to what is late, then open the new entry from the whole list.
    page.get_by_label("只看逾期").check()
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tr[data-entry]")).to_have_count(1)
    page.get_by_role("link", name="清除筛选").click()
    page.get_by_role("link", name=entry.number).click()
    expect(page).to_have_url(f"{live_server.url}/portal/suggestions/{entry.number}/")
    expect(page.locator('[data-field="mobile"]')).to_contain_text("13912345678")  # the handler sees it in full
    assert_accessible(page)

    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("已受理")
    expect(page.locator('[data-field="state"]')).to_contain_text("已受理")
    expect(page.get_by_role("button", name="受理", exact=True)).to_have_count(0)

    # The template fills the reply (static JS); a photo goes with it.
    page.get_by_label("答复模板").select_option(label="电梯维修")
    expect(page.get_by_label("答复内容")).to_have_value("您好，已通知电梯维保单位，今天下午到场维修。")
    photo = tmp_path / "lift.jpg"
    photo.write_bytes(_jpeg())
    page.locator('form[data-action-form="reply"] input[type="file"]').set_input_files(str(photo))
    page.get_by_role("button", name="发送答复").click()
    expect(page.get_by_role("alert")).to_contain_text("答复已发送")
    reply = page.locator('[data-history] [data-event="reply"]')
    expect(reply).to_contain_text("今天下午到场维修")
    expect(reply.locator("img.suggestion-thumb")).to_have_count(1)
    # The thumbnail really loads from the scoped photo view (waited for: the page is shown before its images are).
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-event=reply] img');"
        " return i && i.complete && i.naturalWidth > 0 }",
        timeout=15_000)
    assert_accessible(page)

    # Resolving without a word is refused next to the field; then with the result.
    page.get_by_role("button", name="办结：已解决").click()
    expect(page.locator("#div_id_resolve-text")).to_contain_text("请写明办理结果")
    page.get_by_label("办理结果").fill("电梯已修好，维保单位加强了巡检。")
    page.get_by_role("button", name="办结：已解决").click()
    expect(page.get_by_role("alert")).to_contain_text("已办结")
    expect(page.locator('[data-field="state"]')).to_contain_text("已解决")
    expect(page.locator("form[data-action-form]")).to_have_count(0)
    assert_accessible(page)

    entry.refresh_from_db()
    assert entry.state == Suggestion.State.RESOLVED and entry.answered_on_time
    assert entry.events.get(kind=SuggestionEvent.Kind.REPLY).photos.count() == 1
