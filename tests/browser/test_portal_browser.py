"""End to end in a real browser: the demo firm user in the portal, a district officer in the admin."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from estates.models import Estate

pytestmark = pytest.mark.browser


def _login(page, live_server, path, username, password):
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_demo_firm_user_edits_an_estate_hotline_in_the_portal(page, live_server, demo_city, screenshots):
    firm = User.objects.get(username="demo-firm").firm
    codes = list(Estate.objects.filter(firm=firm, is_active=True).order_by("code").values_list("code", flat=True))
    assert codes, "the demo firm manages estates"

    _login(page, live_server, "/accounts/login/", "demo-firm", demo_city)
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text(firm.name)
    rows = page.locator("tr[data-estate]")
    expect(rows).to_have_count(min(len(codes), 50))
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.estate)") == codes[:50]
    page.screenshot(path=str(screenshots / "portal-dashboard.png"), full_page=True)

    code = codes[0]
    page.locator(f'tr[data-estate="{code}"]').get_by_role("link", name=re.compile("修改电话")).click()
    expect(page).to_have_url(f"{live_server.url}/portal/estates/{code}/")

    hotline = page.get_by_label("服务中心电话")
    hotline.fill("0574-8765abc")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#form-errors")).to_contain_text("有 1 处需要更正")
    expect(page.locator("#id_hotline_error")).to_have_text(re.compile("电话号码“0574-8765abc”含有数字以外的字符"))
    expect(hotline).to_have_value("0574-8765abc")  # what was typed is not lost
    assert Estate.objects.get(code=code).hotline != "0574-8765abc"

    hotline.fill("0574-87654321")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("alert")).to_contain_text("的服务电话已保存。")
    expect(page.locator(f'tr[data-estate="{code}"] td[data-field="hotline"]')).to_have_text("0574-87654321")
    assert Estate.objects.get(code=code).hotline == "0574-87654321"


def test_district_officer_sees_only_their_district_in_the_admin(page, live_server, demo_city, screenshots):
    officer = User.objects.get(username="demo-district")
    district = officer.agency
    mine = Estate.objects.filter(district=district)
    elsewhere = Estate.objects.exclude(district=district).order_by("code").first()
    assert mine.exists() and elsewhere is not None

    _login(page, live_server, "/admin/login/?next=/admin/estates/estate/", "demo-district", demo_city)
    expect(page).to_have_url(f"{live_server.url}/admin/estates/estate/")
    expect(page.locator("#content h1")).to_have_text("选择 住宅小区 来修改")
    expect(page.locator("#result_list tbody tr")).to_have_count(min(mine.count(), 50))
    districts_shown = set(page.locator("#result_list tbody td.field-district").all_inner_texts())
    assert districts_shown == {str(district)}
    expect(page.locator("p.paginator")).to_contain_text(f"{mine.count()} 住宅小区")
    page.screenshot(path=str(screenshots / "admin-estate-list.png"), full_page=False)

    response = page.goto(f"{live_server.url}/admin/estates/estate/{elsewhere.pk}/change/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(elsewhere.name)


def test_public_estate_page_on_a_phone_with_large_text(browser, live_server, demo_city, screenshots):
    estate = Estate.objects.filter(is_active=True, firm__isnull=False).order_by("code").first()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/e/{estate.code}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(estate.name)
        call = page.get_by_role("link", name=re.compile("服务热线"))
        expect(call).to_have_attribute("href", "tel:" + estate.effective_hotline.replace("-", ""))
        assert call.bounding_box()["height"] >= 44  # touch target

        body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body_size >= 18
        toggle = page.get_by_role("button", name="大字")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24  # 18 pt
        page.reload()  # the choice is remembered on the device
        expect(page.locator("body")).to_have_class(re.compile("public-large"))
        page.screenshot(path=str(screenshots / "public-estate-mobile.png"), full_page=True)
    finally:
        context.close()
