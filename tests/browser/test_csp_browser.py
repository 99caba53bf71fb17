"""The Content-Security-Policy in a real browser: no violation on the portal, a public page, the progress
dashboard and admin forms with date widgets, and the pages' own scripts still work (they are static files now).

Violations are caught twice: Chromium's console error ("Refused to execute inline script ...") through
``page.on("console")``, and the ``securitypolicyviolation`` event, recorded by an init script (which runs
through the DevTools protocol, so the policy does not apply to it)."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.demo import load_demo_campaign
from estates.models import Estate

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP report collected in ``page.csp_reports``."""
    reports = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: reports.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.csp_reports = reports
    return page


def assert_no_violation(page):
    events = page.evaluate("() => window.__cspViolations || []")
    assert not page.csp_reports and not events, f"CSP on {page.url}: {page.csp_reports + events}"


def _login(page, live_server, username, password, path):
    login = "/accounts/login/" if path.startswith("/portal") else "/admin/login/"
    page.goto(f"{live_server.url}{login}?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}{path}")


def test_the_public_page_keeps_its_large_text_toggle_under_the_policy(watched, live_server, demo_city):
    page = watched
    estate = Estate.objects.filter(is_active=True, firm__isnull=False).order_by("code").first()
    response = page.goto(f"{live_server.url}/e/{estate.code}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    toggle = page.get_by_role("button", name="大字")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => document.body.classList.contains('public-large')")
    page.reload()  # remembered on this device
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    assert_no_violation(page)


def test_the_portal_language_switch_submits_itself_under_the_policy(watched, live_server, demo_city):
    page = watched
    _login(page, live_server, "demo-firm", demo_city, "/portal/")
    assert_no_violation(page)
    page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_violation(page)


def test_the_progress_dashboard_draws_its_chart_under_the_policy(watched, live_server, demo_city):
    page = watched
    campaign, _created = load_demo_campaign()
    _login(page, live_server, "demo-city", demo_city, f"/admin/campaigns/campaign/{campaign.pk}/progress/")
    canvas = page.locator("#progress-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('progress-chart'))")
    assert page.evaluate("() => Chart.getChart(document.getElementById('progress-chart')).data.labels.length") > 0
    assert_no_violation(page)


def test_admin_widgets_and_the_review_queue_work_under_the_policy(watched, live_server, demo_city):
    page = watched
    load_demo_campaign()
    _login(page, live_server, "demo-city", demo_city, "/admin/campaigns/obligation/review-queue/")
    boxes = page.locator('input[name="ids"]')
    if boxes.count():
        page.get_by_label("全选").check()  # data-check-all, wired by static/js/portal.js
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert_no_violation(page)
    page.goto(f"{live_server.url}/admin/campaigns/campaign/add/")
    expect(page.locator("#content h1")).to_be_visible()
    assert_no_violation(page)
    page.goto(f"{live_server.url}/admin/core/calendarday/add/")
    shortcuts = page.locator(".datetimeshortcuts a")
    if shortcuts.count():  # Django's text date widget: its "today" link comes from admin/js/DateTimeShortcuts.js
        shortcuts.first.click()
        assert page.locator("#id_date").input_value()
    assert_no_violation(page)
    page.goto(f"{live_server.url}/admin/estates/estate/add/")  # autocomplete fields (select2, admin/js/autocomplete.js)
    expect(page.locator(".select2-container").first).to_be_visible()
    assert_no_violation(page)
    page.goto(f"{live_server.url}/admin/campaigns/task/add/")
    if page.locator("select#id_districts[multiple]").count():  # filter_horizontal: SelectFilter2.js builds the chooser
        expect(page.locator(".selector").first).to_be_visible()
    assert_no_violation(page)
    page.goto(f"{live_server.url}/admin/estates/estate/")  # list actions (admin/js/actions.js)
    page.locator("#result_list tbody input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
    assert_no_violation(page)


def test_the_watch_sees_an_inline_script_the_policy_blocks(watched, live_server, demo_city):
    page = watched
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = 1";
                             document.body.appendChild(s); }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran") is None
    with pytest.raises(AssertionError, match="script-src"):
        assert_no_violation(page)


def test_a_job_progress_page_follows_its_job_under_the_policy(watched, live_server, demo_city):
    """static/js/job-progress.js polls the status URL (connect-src 'self') and shows the job's end."""
    from django.utils import timezone

    from accounts.models import User
    from core.models import Job

    page = watched
    user = User.objects.get(username="demo-firm")
    job = Job.objects.create(kind="campaigns.obligations_export", title="任务责任导出", owner=user,
                             organisation=user.organisation_key,
                             state=Job.State.RUNNING, progress=40, message="已导出 400 / 1000 条",
                             started_at=timezone.now())
    _login(page, live_server, "demo-firm", demo_city, "/portal/")
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    expect(page.locator("#job-message")).to_have_text("已导出 400 / 1000 条")
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, progress=100, message="处理失败：测试",
                                         finished_at=timezone.now())
    expect(page.locator("#job-message")).to_have_text("处理失败：测试", timeout=15_000)
    expect(page.locator("#job-bar")).to_have_class(re.compile("bg-danger"))
    assert_no_violation(page)
