"""Every portal and public page passes axe-core (WCAG 2.1 AA) and fits the screen, in both languages.

The pages are enumerated from the URL resolver: every pattern outside the admin is either visited here (PAGES) or
named in NOT_PAGES with the reason it is no page (a download, a POST-only action, a redirect). A new pattern that
is neither makes `test_every_url_pattern_is_covered` fail, so a new page cannot skip this check.

The walk is the one a person makes: residents' pages and the login page anonymously, then the firm user logs in
through the form, opens every page at 1440 and 1366 px (and, in Chinese, on a phone), switches to English with the
page's own language switch, opens them all again, and logs out; public pages are also seen on a 390 x 844 phone.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from campaigns.models import Obligation, RecordKind
from estates.models import Estate
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser

WIDE = {"width": 1440, "height": 900}
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass
class Demo:
    """Real objects of the demo city that fill the path parameters."""

    estate_code: str
    open_obligation: int
    accepted_obligation: int
    returned_obligation: int
    record_obligation: int
    job_done: str
    job_running: str
    job_failed: str
    training: int
    activity: int
    reset_path: str
    track_tokens: tuple = ()  # suggestion box entries of the demo estate: one open, one answered and resolved


# Pages a firm user opens, by view name: view name -> paths to open (several when the page has distinct states).
PAGES = {
    "portal:dashboard": lambda d: ["/portal/"],
    "portal:firm_edit": lambda d: ["/portal/firm/"],
    "portal:estate_edit": lambda d: [f"/portal/estates/{d.estate_code}/"],
    "campaigns:obligations": lambda d: ["/portal/campaigns/", "/portal/campaigns/?campaign=all&f=overdue"],
    "campaigns:obligation_detail": lambda d: [f"/portal/campaigns/obligations/{pk}/" for pk in
                                              (d.open_obligation, d.accepted_obligation, d.returned_obligation,
                                                                    d.record_obligation)],
    "campaigns:trainings": lambda d: ["/portal/campaigns/trainings/"],
    "campaigns:training_edit": lambda d: [f"/portal/campaigns/trainings/{d.training}/edit/"],
    "campaigns:training_withdraw": lambda d: [f"/portal/campaigns/trainings/{d.training}/withdraw/"],
    "campaigns:activities": lambda d: ["/portal/campaigns/activities/"],
    "campaigns:activity_edit": lambda d: [f"/portal/campaigns/activities/{d.activity}/edit/"],
    "campaigns:activity_withdraw": lambda d: [f"/portal/campaigns/activities/{d.activity}/withdraw/"],
    "campaigns:coordinators": lambda d: ["/portal/campaigns/coordinators/"],
    "campaigns:roster_upload": lambda d: ["/portal/campaigns/coordinators/upload/"],
    "documents:portal": lambda d: ["/documents/"],
    "notifications:list": lambda d: ["/notifications/", "/notifications/?unread=1"],
    "accounts:settings": lambda d: ["/accounts/settings/"],
    "accounts:firm_users": lambda d: ["/accounts/firm-users/"],  # demo-firm is its firm's manager
    "accounts:password_change": lambda d: ["/accounts/password/"],
    "accounts:password_change_done": lambda d: ["/accounts/password/done/"],
    "jobs:detail": lambda d: [f"/jobs/{d.job_done}/", f"/jobs/{d.job_running}/", f"/jobs/{d.job_failed}/"],
    # The firm's suggestion inbox: the list (also filtered, with a bad value), an open entry with a photo and a
    # finished one, the reply templates and a template's forms (objects made by _inbox below).
    "suggestions:inbox": lambda d: ["/portal/suggestions/", "/portal/suggestions/?overdue=on&state=nope&order=due"],
    "suggestions:inbox_detail": lambda d: [f"/portal/suggestions/{n}/" for n in _inbox("entries")],
    "suggestions:reply_templates": lambda d: ["/portal/suggestions/templates/"],
    "suggestions:reply_template_edit": lambda d: [f"/portal/suggestions/templates/{_inbox('template')}/"],
    "suggestions:reply_template_delete": lambda d: [f"/portal/suggestions/templates/{_inbox('template')}/delete/"],
    "suggestions:posters": lambda d: ["/suggestions/posters/"],
}
# Pages anyone opens without an account (also checked on a phone).
PUBLIC_PAGES = {
    "accounts:login": lambda d: ["/accounts/login/"],
    "public:estate": lambda d: [f"/e/{d.estate_code}/"],
    "accounts:password_reset": lambda d: ["/accounts/password-reset/"],
    "accounts:password_reset_done": lambda d: ["/accounts/password-reset/sent/"],
    "accounts:password_reset_confirm": lambda d: [d.reset_path],  # redirects to the set-password form
    "accounts:password_reset_complete": lambda d: ["/accounts/reset/done/"],
    "suggestions:suggest": lambda d: [f"/e/{d.estate_code}/suggest/"],
    "suggestions:find": lambda d: ["/e/find/", f"/e/find/?q={d.estate_code}", "/e/find/?q=%E6%B2%A1%E6%9C%89"],
    "suggestions:track": lambda d: [f"/e/track/{d.track_tokens[0]}/?new=1", f"/e/track/{d.track_tokens[1]}/"],
    "suggestions:league_index": lambda d: ["/e/league/"],
    "suggestions:league": lambda d: [f"/e/league/{_district_of(d.estate_code)}/",
                                     f"/e/league/{_district_of(d.estate_code)}/?start=2026-05-01&end=2026-01-01"],
}
NOT_PAGES = {
    "home": "redirects to the portal, the admin or the login page",
    "suggestions:api_services": "JSON of the 12345 hotline API (bearer token), not a page",
    "suggestions:api_requests": "JSON of the 12345 hotline API (bearer token), not a page",
    "suggestions:api_request": "JSON of the 12345 hotline API (bearer token), not a page",
    "healthz": "a plain-text probe for the load balancer",
    "favicon": "the site icon (/favicon.ico)",
    "set_language": "POST target of the language switch (used below, through the switch)",
    "javascript-catalog": "JavaScript, not a page",
    "accounts:logout": "POST only (the portal's logout button, used below)",
    "accounts:firm_user_action": "POST only (buttons of the firm's user list: send a link, deactivate, activate)",
    "portal:estate_export": "an Excel download",
    "campaigns:evidence_file": "an evidence file download",
    "campaigns:record_photo": "a photo file",
    "campaigns:roster_template": "an Excel download",
    **{f"suggestions:inbox_{step}": "POST only: a step of the inbox (a GET goes back to the entry)"
       for step in ("acknowledge", "start", "reply", "resolve", "close", "refer")},
    "suggestions:inbox_photo": "a photo of an entry (an image file)",
    "suggestions:inbox_photo_thumb": "a photo's thumbnail (an image file)",
    "documents:notice_pdf": "a PDF download",
    "documents:obligations_export": "an Excel download or a redirect to the job page",
    "jobs:status": "JSON polled by the job page",
    "jobs:download": "the job's file download",
    "notifications:read": "POST only (marks one notification read and follows its link)",
    "notifications:read_all": "POST only",
    "suggestions:poster_pdf": "a PDF download",
    "suggestions:text_size": "the large-text switch: sets its cookie and goes back (used below, through the switch)",
    "suggestions:track_photo": "a photo of a tracked entry (an image file)",
    "suggestions:track_photo_thumb": "a photo's thumbnail (an image file)",
    "suggestions:poster_batch": "POST only (starts the poster batch, then the job page)",
}


def _district_of(code):
    return Estate.objects.filter(code=code).values_list("district_id", flat=True).get()


def _url_names(patterns=None, namespace=""):
    """(view name, route) of every URL pattern outside the admin."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" or entry.app_name == "admin":
                continue
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (
                entry.namespace or namespace)
            for name, route in _url_names(entry.url_patterns, inner):
                yield name, f"{entry.pattern}{route}"
        elif isinstance(entry, URLPattern):
            name = entry.name or f"<unnamed {entry.pattern}>"
            yield (f"{namespace}:{name}" if namespace else name), str(entry.pattern)


INBOX_TEXT = "5 号楼电梯这周坏了两次，老人上下楼很不方便。"


def _inbox(what):
    """The demo firm's inbox objects for the walk, made on first use: an open entry with a photo and a resolved
    one (numbers), or a reply template (its id)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from suggestions import photos, services
    from suggestions.models import ReplyTemplate, Suggestion

    user = User.objects.get(username="demo-firm")
    if what == "template":
        template, _created = ReplyTemplate.objects.get_or_create(
            firm=user.firm, title="电梯维修", defaults={"text": "您好，已通知电梯维保单位，今天下午到场维修。"})
        return template.pk
    mine = Suggestion.private_objects.filter(firm=user.firm, text=INBOX_TEXT).order_by("pk")
    if not mine.exists():
        estate = Estate.objects.filter(firm=user.firm, is_active=True).order_by("code").first()
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 120, 30)).save(buffer, "JPEG")
        photo = photos.prepare(SimpleUploadedFile("lift.jpg", buffer.getvalue(), content_type="image/jpeg"))
        entry = {"estate": estate, "category": "facilities", "text": INBOX_TEXT, "name": "李大爷",
                 "mobile": "13912345678", "consent_contact": True}
        services.suggestion_submit(**entry, photos=[photo])
        done = services.suggestion_submit(**entry)
        services.suggestion_reply(suggestion=done, user=user, text="已通知电梯维保单位，今天下午到场维修。")
        services.suggestion_resolve(suggestion=done, user=user, text="电梯已修好。")
    return list(mine.values_list("number", flat=True)[:2])


def test_every_url_pattern_is_covered():
    found = dict(_url_names())
    covered = set(PAGES) | set(PUBLIC_PAGES) | set(NOT_PAGES)
    missing = {name: route for name, route in found.items() if name not in covered}
    assert not missing, (
        "URL patterns neither visited by the accessibility test nor listed as not pages "
        f"(add them to PAGES, PUBLIC_PAGES or NOT_PAGES in {__file__}): {missing}")
    stale = covered - set(found)
    assert not stale, f"listed here but no longer URL patterns: {sorted(stale)}"


def _demo_objects(user):
    """Load the demo campaign and today's reminders (as `make run` does) and pick the demo firm's objects."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from campaigns import reminders as notification_services
    from campaigns.demo import load_demo_campaign
    from campaigns.models import Activity, Training
    from core.models import Job

    load_demo_campaign()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        notification_services.sweep_reminders()  # the portal's notification list has something to show
    firm = user.firm
    estate = Estate.objects.filter(firm=firm, is_active=True).order_by("code").first()
    mine = Obligation.objects.for_firm(firm).order_by("pk")
    open_ob = mine.filter(state=Obligation.State.OPEN, task__record_kind=RecordKind.NONE).first()
    accepted = mine.filter(state=Obligation.State.ACCEPTED).exclude(task__record_kind=RecordKind.NONE).first() \
        or mine.filter(state=Obligation.State.ACCEPTED).first()
    returned = mine.filter(state=Obligation.State.RETURNED).first()
    record = mine.exclude(task__record_kind=RecordKind.NONE).exclude(pk=accepted.pk).first()
    now = timezone.now()
    job = {"kind": "campaigns.obligations_export", "owner": user, "organisation": user.organisation_key,
           "title": "任务责任导出"}
    done = Job.objects.create(**job, state=Job.State.DONE, progress=100, message="已导出 1200 条", started_at=now,
                              finished_at=now, expires_at=now + datetime.timedelta(hours=72))
    running = Job.objects.create(**job, state=Job.State.RUNNING, progress=40, message="已导出 400 / 1000 条",
                                 started_at=now)
    failed = Job.objects.create(**job, state=Job.State.FAILED, progress=10,
                                message="任务队列暂时不可用，请稍后重新发起。", started_at=now, finished_at=now)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    from suggestions import services as suggestion_services

    entry = {"estate": estate, "category": "facilities", "name": "王阿姨", "mobile": "13800138000",
             "consent_contact": True, "text": "小区东门的路灯坏了三天，晚上回家很不安全。"}
    open_entry = suggestion_services.suggestion_submit(**entry)
    answered = suggestion_services.suggestion_submit(**entry)
    suggestion_services.suggestion_reply(suggestion=answered, user=user, text="已安排电工明天上午更换灯泡。")
    suggestion_services.suggestion_resolve(suggestion=answered, user=user, text="灯已修好，请查看。")
    return Demo(estate_code=estate.code, open_obligation=open_ob.pk, accepted_obligation=accepted.pk,
                returned_obligation=returned.pk, record_obligation=record.pk, job_done=str(done.pk),
                job_running=str(running.pk), job_failed=str(failed.pk),
                training=Training.objects.filter(organiser_firm=firm).latest("pk").pk,
                activity=Activity.objects.filter(firm=firm).latest("pk").pk,
                reset_path=f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/",
                track_tokens=(open_entry.token, answered.token))


def _check(page, live_server, path, viewport, assert_accessible, failures, language):
    page.set_viewport_size(viewport)
    response = page.goto(f"{live_server.url}{path}")
    where = f"{path} at {viewport['width']}x{viewport['height']} ({language})"
    if response is None or response.status != 200:
        failures.append(f"{where}: HTTP {response.status if response else '-'}")
        return
    lang = page.evaluate("document.documentElement.lang")
    if not lang.lower().startswith(language[:2]):
        failures.append(f"{where}: <html lang={lang!r}>, expected {language}")
    try:
        assert_accessible(page)
    except AssertionError as exc:
        failures.append(f"{where}: " + str(exc).split("\nassert ")[0])
    # axe's best practices as well: one main landmark, all content in landmarks, headings in order, one <h1>.
    failures.extend(f"{where}: {v}" for v in axe_violations(page, tags=["best-practice"]))
    # Nothing sticks out of the screen: the page itself never scrolls sideways.
    overflow = page.evaluate("""() => {
        const doc = document.scrollingElement, width = doc.clientWidth;
        const wide = [...document.querySelectorAll('body *')].filter(el => {
            const box = el.getBoundingClientRect();
            return box.width && box.right > width + 1 && getComputedStyle(el).position !== 'fixed'
                && !el.closest('.table-responsive, .visually-hidden, .visually-hidden-focusable');
        }).slice(0, 5).map(el => el.outerHTML.slice(0, 120));
        return doc.scrollWidth > width ? {scrollWidth: doc.scrollWidth, width, wide} : null;
    }""")
    if overflow:
        failures.append(f"{where}: the page scrolls sideways {overflow}")


def _sweep(page, live_server, pages, viewports, demo, assert_accessible, failures, language):
    for paths in pages.values():
        for path in paths(demo):
            for viewport in viewports:
                _check(page, live_server, path, viewport, assert_accessible, failures, language)


def _switch_language(page, to, label):
    """Choose the language in the page's own switch, as a person does, and wait for the page in that language."""
    page.get_by_label(label, exact=True).select_option(to)
    expect(page.locator("html")).to_have_attribute("lang", to)
    page.wait_for_load_state()  # the new page's <html> is there; wait for the rest of it


def _log_in_as_the_demo_firm(page, live_server, password):
    """Through the login page, in Chinese, on a wide screen, as the demo firm's user does."""
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("demo-firm")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")


def test_every_portal_and_public_page_is_accessible_in_both_languages(page, live_server, demo_city,
                                                                      assert_accessible):
    user = User.objects.get(username="demo-firm")
    demo = _demo_objects(user)
    failures = []

    # Residents and the login page, anonymous, in Chinese; the estate page also in its large-text mode on a phone.
    _sweep(page, live_server, PUBLIC_PAGES, [WIDE, LAPTOP, PHONE], demo, assert_accessible, failures, "zh")
    page.goto(f"{live_server.url}/e/{demo.estate_code}/")
    page.get_by_role("button", name="大字").click()
    _check(page, live_server, f"/e/{demo.estate_code}/", PHONE, assert_accessible, failures, "zh")  # remembered
    expect(page.locator("body")).to_have_class(re.compile("public-large"))
    # The suggestion box's pages in the large-text mode as well (the switch's cookie holds for every public page).
    _sweep(page, live_server, {k: v for k, v in PUBLIC_PAGES.items() if k.startswith("suggestions:")}, [PHONE],
           demo, assert_accessible, failures, "zh")
    expect(page.locator("body")).to_have_class(re.compile("public-large"))
    page.get_by_role("button", name="大字").click()

    _log_in_as_the_demo_firm(page, live_server, demo_city)

    _sweep(page, live_server, PAGES, [WIDE, LAPTOP, PHONE], demo, assert_accessible, failures, "zh")  # firms use phones

    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/portal/")
    _switch_language(page, "en", "语言")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    _sweep(page, live_server, PAGES, [WIDE, LAPTOP], demo, assert_accessible, failures, "en")

    page.goto(f"{live_server.url}/portal/")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    _sweep(page, live_server, PUBLIC_PAGES, [WIDE, LAPTOP, PHONE], demo, assert_accessible, failures, "en")

    assert not failures, f"{len(failures)} problems:\n\n" + "\n\n".join(failures)


FIT = """(selector) => {
    const table = document.querySelector(selector), box = table.parentElement;
    const width = document.documentElement.clientWidth;
    const cut = [...table.querySelectorAll('thead th')].filter(th => {
        const r = th.getBoundingClientRect(), c = box.getBoundingClientRect();
        return r.right > Math.min(width, c.right) + 1 || r.left < Math.max(0, c.left) - 1;
    }).map(th => th.innerText.trim());
    return {table: table.scrollWidth, room: box.clientWidth, cut};
}"""


def _assert_fits(page, selector, where):
    fit = page.evaluate(FIT, selector)
    assert fit["table"] <= fit["room"] and not fit["cut"], (
        f"{where} at 1366 px: the table needs {fit['table']} px in {fit['room']} px; columns cut off: {fit['cut']}")


@pytest.mark.parametrize("username, login, url, selector, picture", [
    ("demo-firm", "/accounts/login/", "/portal/campaigns/?campaign=all", "table", "portal-obligations.png"),
    ("demo-district", "/admin/login/", "/admin/campaigns/obligation/", "#result_list", "admin-obligation-list.png"),
])
def test_obligation_lists_show_every_column_at_1366_px(page, live_server, demo_city, screenshots, username, login,
                                                       url, selector, picture):
    """The firm's list and the bureau's list (beside the admin's two sidebars), in both languages, with the demo
    campaign's real texts: no column is clipped or hidden behind a horizontal scroll bar."""
    _demo_objects(User.objects.get(username="demo-firm"))
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}{login}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_city)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}{url}")
    expect(page.locator(f"{selector} tbody tr").first).to_be_visible()
    _assert_fits(page, selector, url)
    page.screenshot(path=str(screenshots / picture))
    _switch_language(page, "en", "语言")
    _assert_fits(page, selector, f"{url} (en)")


def test_forms_showing_their_errors_are_accessible(page, live_server, demo_city, assert_accessible):
    """A form sent back with errors (what was typed kept, each error beside its field) passes axe-core too."""
    demo = _demo_objects(User.objects.get(username="demo-firm"))
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("demo-firm")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".alert-danger, .errorlist, .invalid-feedback").first).to_be_visible()
    assert_accessible(page)

    page.get_by_label("密码").fill(demo_city)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/portal/")
    for path, label, button in [
        (f"/portal/estates/{demo.estate_code}/", "服务中心电话", "保存"),
        ("/portal/firm/", "24 小时服务热线", "保存"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.get_by_label(label).fill("0574-8765abc")
        page.get_by_role("button", name=button).click()
        expect(page.get_by_label(label)).to_have_value("0574-8765abc")
        expect(page.get_by_label(label)).to_have_attribute("aria-invalid", "true")
        assert_accessible(page)

    page.goto(f"{live_server.url}/portal/campaigns/coordinators/")
    page.get_by_label("小区").select_option(index=1)
    page.get_by_label("姓名").fill("王伟")
    page.get_by_label("联系电话").fill("abc")
    page.get_by_label("聘任日期").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="备案").click()
    expect(page.get_by_label("联系电话")).to_have_value("abc")
    assert_accessible(page)


def test_axe_runs_under_a_content_security_policy_without_inline_scripts(page):
    """The fixture evaluates axe-core through the DevTools protocol: a page whose policy blocks inline scripts (as the
    portal's does) is still checked, and a real violation is still found."""
    html = ('<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Page</h1>'
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><script>document.title = "ran"</script>'
            '</main></body></html>')
    page.route("http://csp.invalid/", lambda route: route.fulfill(
        status=200, content_type="text/html", body=html,
        headers={"Content-Security-Policy": "default-src 'none'; script-src 'self'; img-src data:"}))
    page.goto("http://csp.invalid/")
    assert page.title() == "t"  # the inline script was blocked: the policy is on
    violations = axe_violations(page)
    assert [v.split(":")[0] for v in violations] == ["image-alt"]


@pytest.mark.parametrize("language, label", [("zh-hans", "语言"), ("en", "语言")])
def test_the_portal_menu_fits_every_laptop_and_tablet_width_in_both_languages(page, live_server, demo_city,
                                                                              language, label):
    """The English labels are twice as wide as the Chinese: between the phone menu and a wide screen the expanded
    menu once ran 220 px past a 1,024 px screen. At every width the page never scrolls sideways, and every entry
    of the menu is on the screen once the menu is open."""
    _log_in_as_the_demo_firm(page, live_server, demo_city)
    if language == "en":
        _switch_language(page, "en", label)
    problems = []
    for width in (992, 1024, 1100, 1200, 1280, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/portal/")
        toggler = page.locator(".portal-navbar .navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            expect(page.locator("#portal-nav")).to_be_visible()
        found = page.evaluate("""() => {
            const width = document.scrollingElement.clientWidth;
            const out = [...document.querySelectorAll('.portal-navbar a, .portal-navbar button, .portal-navbar select')]
                .filter(el => el.getBoundingClientRect().width)
                .filter(el => { const r = el.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
                .map(el => el.innerText.trim() || el.outerHTML.slice(0, 60));
            return {scroll: document.scrollingElement.scrollWidth, width, out};
        }""")
        if found["scroll"] > found["width"] or found["out"]:
            problems.append(f"{width}px ({language}): {found}")
    assert not problems, "\n".join(problems)
