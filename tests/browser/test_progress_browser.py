"""The progress dashboard in a browser (issue 16): the summary first, each table a page at a time, accessible
(axe-core, WCAG 2.1 AA, the page's content: the admin's own breadcrumbs fail link-in-text-block on every admin page)
on its first page and on a table's next page."""

import pytest
from playwright.sync_api import expect

from campaigns import admin_views
from campaigns.demo import load_demo_campaign

pytestmark = pytest.mark.browser


def _login(page, live_server, username, password, path):
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def test_a_city_officer_pages_through_the_firm_table(page, live_server, demo_city, assert_accessible, monkeypatch):
    monkeypatch.setattr(admin_views, "PROGRESS_PAGE_SIZE", 3)  # the demo city has fewer firms than a page
    campaign, _created = load_demo_campaign()
    path = f"/admin/campaigns/campaign/{campaign.pk}/progress/"
    _login(page, live_server, "demo-city", demo_city, path)
    totals = page.locator("[data-totals]")
    expect(totals).to_be_visible()
    firms = page.locator("#by-firm")
    assert totals.bounding_box()["y"] < firms.bounding_box()["y"]
    expect(firms.locator("tbody tr")).to_have_count(3)
    first_keys = firms.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.key)")
    assert_accessible(page, context="#content-main")  # the content; the admin chrome is Django's
    expect(firms.get_by_role("navigation")).to_have_attribute("aria-label", "按物业服务企业分页")

    firms.get_by_role("navigation").get_by_role("link", name="下一页").click()
    expect(page).to_have_url(f"{live_server.url}{path}?by=firm&page=2#by-firm")
    firms = page.locator("#by-firm")
    rows = firms.locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert set(rows.evaluate_all("rows => rows.map(r => r.dataset.key)")).isdisjoint(first_keys)
    expect(page.locator("#by-action tbody tr").first).to_be_visible()  # the other tables stay on their first page
    assert_accessible(page, context="#content-main")  # the content; the admin chrome is Django's

    firms.get_by_role("navigation").get_by_role("link", name="上一页").click()
    expect(page).to_have_url(f"{live_server.url}{path}?by=firm&page=1#by-firm")
    assert page.locator("#by-firm tbody tr").evaluate_all("rows => rows.map(r => r.dataset.key)") == first_keys
