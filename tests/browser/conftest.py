"""Browser tests: pytest-playwright driving Debian's chromium against pytest-django's live_server.

Playwright cannot download its own browser here (shared/FLOORS.md), so the launch points at /usr/bin/chromium.
Run them alone with `pytest -m browser`; they are skipped where that chromium is missing.
Refresh docs/screenshots/ with `UPDATE_SCREENSHOTS=1 pytest -m browser`.
"""

import os
from pathlib import Path

import pytest
from django.test.utils import override_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1440, "height": 900}}


@pytest.fixture(scope="session", autouse=True)
def _live_server_environment(request):
    """Runs before the session-scoped `live_server` and `playwright` fixtures (autouse fixtures come first).

    * The live server builds its middleware once, when it starts, and SecurityMiddleware would keep the production
      SECURE_SSL_REDIRECT and send the browser to https: start the server with it off, then restore the setting.
    * Playwright's sync API keeps an asyncio loop running in the main thread until the end of the session, and
      Django refuses ORM calls while a loop runs. The calls made here (test database set-up, fixtures, assertions
      between browser steps) are plain synchronous code, so they stay allowed for the rest of the session.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with override_settings(SECURE_SSL_REDIRECT=False):
            request.getfixturevalue("live_server")
        yield


@pytest.fixture(autouse=True)
def _browser_settings(settings):
    """Plain http: cookies without the Secure flag. django-axes stays off (the root conftest turns it off for
    every test; the live server runs in this process and reads the same settings), so the form logins of
    these tests are never throttled."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.AXES_ENABLED = False


@pytest.fixture
def demo_city(transactional_db):
    """A small demo city and the demo accounts of `make run` (password wenming2011)."""
    from accounts.demo import DEFAULT_DEMO_PASSWORD, ensure_demo_accounts
    from estates.demo import build_city

    build_city(estates=120, seed=2011)
    ensure_demo_accounts(password=DEFAULT_DEMO_PASSWORD)
    return DEFAULT_DEMO_PASSWORD


@pytest.fixture
def screenshots(tmp_path):
    """docs/screenshots/ when UPDATE_SCREENSHOTS=1 (to refresh the committed pictures), else a temporary folder,
    so that an ordinary test run leaves the working tree clean."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


AXE_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, *, context=None, tags=AXE_TAGS):
    """Run axe-core (vendored from npm, static/vendor/axe-core) in the page and return the WCAG 2.1 AA violations
    (or those of other axe tags, e.g. ["best-practice"] for landmarks and heading order), each as
    "rule-id: help (n nodes: selector, ...)" so that a failing assertion names what to fix."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the portal's Content-Security-Policy
        # forbids inline scripts, and must stay on while axe runs.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async ([context, tags]) => await axe.run(context || document, {runOnly: {type: 'tag', values: tags}})",
        [context, list(tags)],
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        + ")"
        for v in result["violations"]
    ]


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)`: axe-core finds no WCAG 2.1 AA violation on the page as it is now."""

    def check(page, *, context=None):
        violations = axe_violations(page, context=context)
        assert not violations, f"axe-core on {page.url}:\n" + "\n".join(violations)

    return check
