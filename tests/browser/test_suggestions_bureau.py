"""The suggestion box's bureau side in a browser: a district officer reads the statistics over a date range
(the browser's date inputs), hides an abusive entry with a reason; the public league table ranks the firms.
Screenshot: docs/screenshots/suggestions-league.png (UPDATE_SCREENSHOTS=1)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from estates.models import Estate
from suggestions import services
from suggestions.models import Category, Suggestion

pytestmark = pytest.mark.browser


def _entries(district):
    """Six entries at estates of two firms of the district, ten days ago; the first firm's answered on time."""
    when = timezone.now() - datetime.timedelta(days=10)
    estates = list(Estate.objects.filter(district=district, is_active=True, firm__isnull=False)
                   .order_by("firm_id", "code"))
    firms = []
    for estate in estates:
        if estate.firm_id not in [e.firm_id for e in firms]:
            firms.append(estate)
        if len(firms) == 2:
            break
    made = []
    for index, estate in enumerate(firms):
        for n in range(6):
            entry = services.suggestion_submit(estate=estate, category=Category.FACILITIES,
                                               text=f"第{n + 1}号楼的楼道灯坏了，晚上看不见台阶。", received=when)
            if index == 0:
                Suggestion.private_objects.filter(pk=entry.pk).update(
                    state=Suggestion.State.RESOLVED, acknowledged_at=when + datetime.timedelta(hours=3),
                    acknowledged_on_time=True, answered_at=when + datetime.timedelta(hours=20),
                    answered_on_time=True, finished_at=when + datetime.timedelta(hours=20), rating=5)
            made.append(entry)
    return made, [e.firm for e in firms]


def _login(page, live_server, username, password, path):
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def test_a_district_officer_reads_the_statistics_and_hides_an_entry(page, live_server, demo_city, assert_accessible,
                                                                   screenshots):
    officer = User.objects.get(username="demo-district")
    entries, firms = _entries(officer.agency)
    path = "/admin/suggestions/suggestion/stats/"
    _login(page, live_server, "demo-district", demo_city, path)

    # The statistics over a date range typed into the date inputs, by firm.
    start = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    page.get_by_label("开始日期").fill(start)
    page.get_by_label("结束日期").fill(timezone.localdate().isoformat())
    page.get_by_label("统计单位").select_option("firm")
    page.get_by_role("button", name="统计").click()
    expect(page).to_have_url(f"{live_server.url}{path}?start={start}&end={timezone.localdate().isoformat()}&by=firm")
    table = page.locator("#stats-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody")).to_contain_text(firms[0].name)
    expect(table.locator("tfoot")).to_contain_text("12")
    assert_accessible(page, context="#content-main")  # the content; the admin chrome is Django's

    # A range with nothing in it says so.
    page.get_by_label("开始日期").fill("2020-01-01")
    page.get_by_label("结束日期").fill("2020-01-31")
    page.get_by_role("button", name="统计").click()
    expect(table.locator("tbody")).to_contain_text("该时段内没有意见建议")

    # Hide an entry: the reason is asked for first.
    entry = entries[-1]
    page.goto(f"{live_server.url}/admin/suggestions/suggestion/{entry.pk}/change/")
    page.get_by_role("link", name="屏蔽", exact=True).click()
    reason = page.get_by_label("屏蔽原因")
    page.get_by_role("button", name="确认屏蔽").click()  # empty: the browser asks for it
    assert reason.evaluate("el => el.validity.valueMissing")
    reason.fill("   ")  # blank: the server asks for it, next to the field
    page.get_by_role("button", name="确认屏蔽").click()
    expect(page.locator(".errorlist")).to_be_visible()
    entry.refresh_from_db()
    assert not entry.hidden
    page.get_by_label("屏蔽原因").fill("含辱骂内容")
    assert_accessible(page, context="#content-main")
    page.get_by_role("button", name="确认屏蔽").click()
    expect(page).to_have_url(f"{live_server.url}/admin/suggestions/suggestion/{entry.pk}/change/")
    expect(page.locator("#content-main")).to_contain_text("含辱骂内容")
    entry.refresh_from_db()
    assert entry.hidden and entry.events.filter(kind="hidden", by_user=officer).exists()

    # The public league table of the district: the first firm ranked first; no entry text.
    page.goto(f"{live_server.url}/e/league/{officer.agency_id}/")
    ranked = page.locator("#league-table > li")
    expect(ranked).to_have_count(2)
    expect(ranked.first).to_contain_text(firms[0].name)
    expect(page.locator("body")).not_to_contain_text("楼道灯")
    expect(page.get_by_role("heading", name="排名方法")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    page.screenshot(path=str(screenshots / "suggestions-league.png"), full_page=True)
    page.get_by_role("button", name="大字").click()  # the large-text mode of the public pages
    expect(page.locator("body")).to_have_class(re.compile("public-large"))
    expect(page.locator("#league-table > li")).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("button", name="大字").click()
