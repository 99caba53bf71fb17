"""Content-Security-Policy (django-csp): scripts only from our origin on the portal, the public pages and the
admin, and no template of the project relies on inline script (which the policy would block)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse

from tests.campaign_ui_fixtures import make_live

ROOT = Path(__file__).resolve().parents[1]
# A <script> without src= that is not JSON data (json_script) would run inline.
INLINE_SCRIPT = re.compile(r"""<script(?![^>]*(\bsrc=|\btype=["']application/json))[^>]*>""", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def directives(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict_scripts(response):
    assert response.status_code == 200, response.status_code
    policy = directives(response)
    assert policy["script-src"] == ["'self'"], policy
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


def test_the_portal_sends_the_policy(client, world):
    client.force_login(world.firm_user)
    assert_strict_scripts(client.get(reverse("portal:dashboard")))


def test_the_public_estate_page_sends_the_policy(client, world):
    assert_strict_scripts(client.get(reverse("public:estate", args=[world.estate.code])))


def test_the_login_page_sends_the_policy(client, db):
    assert_strict_scripts(client.get(reverse("accounts:login")))


@pytest.mark.parametrize("path", ["admin:index", "admin:estates_estate_changelist", "admin:estates_estate_add"])
def test_the_admin_sends_the_same_policy(client, world, path):
    client.force_login(world.city_user)
    assert_strict_scripts(client.get(reverse(path)))


def test_the_progress_dashboard_sends_the_policy_and_loads_its_chart_from_a_file(client, world):
    live = make_live(world)
    client.force_login(world.city_user)
    response = client.get(reverse("admin:campaigns_campaign_progress", args=[live.campaign.pk]))
    assert_strict_scripts(response)
    page = response.content.decode()
    assert "js/progress-chart.js" in page and not INLINE_SCRIPT.search(page)


def project_templates():
    """Every template file the project itself ships (templates/ and each app's templates/)."""
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [ROOT / app / "templates" for app in ("accounts", "campaigns", "core", "documents", "estates",
                                                   "notifications")]
    for directory in dirs:
        if directory.is_dir():
            yield from (p for p in directory.rglob("*.html") if "email" not in p.parts)  # mail: no CSP


def test_no_project_template_has_inline_script_or_event_handler_attributes():
    found = []
    for path in project_templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, JAVASCRIPT_URL):
            for match in pattern.finditer(text):
                tag = match.group(0)
                found.append(f"{path.relative_to(ROOT)}: {tag[:80]}")
    assert not found, "blocked by script-src 'self' (move it to static/js/):\n" + "\n".join(found)


def test_the_scan_would_see_an_inline_script():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js"></script>')
    assert not INLINE_SCRIPT.search('<script id="d" type="application/json">{}</script>')
    assert HANDLER_ATTRIBUTE.search('<select name="x" onchange="this.form.submit()">')
    assert not HANDLER_ATTRIBUTE.search('<select name="x" data-autosubmit>')
    assert engines["django"]  # the scanned directories are the ones Django renders from
