"""`manage.py bench_pages` (core/benchpages/): its registry covers every page, its figures and verdicts are right,
its load generator counts what it sees, and every registered page answers its role on a seeded city.

The benchmark itself (gunicorn + PostgreSQL, minutes of load) is not run here: README.md and
docs/PERFORMANCE.md have its figures and how to get them again.
"""

import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.benchpages import registry, run
from core.benchpages.runner import Target, fetch, load
from core.benchpages.stats import Sample, percentile, summarise, verdict

# Patterns that are not pages anyone reads: probes, the favicon, the language switch and its catalogue.
NOT_PAGES = {"healthz", "favicon", "set_language", "javascript-catalog"}


def walk(resolver=None, prefix="", namespace=""):
    """(key, route) of every URL pattern: ``namespace:name``, or the route when it has no name."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            key = f"{namespace}:{pattern.name}".strip(":") if pattern.name else prefix + str(pattern.pattern)
            yield key, prefix + str(pattern.pattern)


def portal_patterns():
    """Every pattern outside the admin: the portal, the public pages, accounts, jobs and every later app's."""
    return {key for key, route in walk() if not route.startswith("admin/") and key not in NOT_PAGES}


# --- the registry ---------------------------------------------------------------------------------------------

def test_every_portal_and_public_pattern_is_benchmarked_or_exempt_with_a_reason():
    covered = {page.pattern for page in registry.pages().values()} | set(registry.exemptions())
    missing = sorted(portal_patterns() - covered)
    assert not missing, (
        "pages without a bench_pages entry: register them in the app's bench_pages.py (docs/PERFORMANCE.md, "
        "'Adding pages': register_page, or "
        f"register_exemption with the reason for a POST-only or download address): {missing}")


def test_no_entry_names_a_pattern_that_does_not_exist():
    keys = {key for key, _route in walk()}
    stale = sorted({p.pattern for p in registry.pages().values()} - keys)
    stale += sorted(set(registry.exemptions()) - keys)
    assert not stale


def test_the_named_pages_of_the_issue_are_registered():
    patterns = {page.pattern: page for page in registry.pages().values()}
    for pattern in ("portal:dashboard", "campaigns:obligations", "campaigns:obligation_detail", "public:estate",
                    "notifications:list", "admin:campaigns_obligation_changelist", "admin:estates_estate_changelist",
                    "admin:estates_propertyfirm_changelist", "admin:campaigns_obligation_review_queue",
                    "admin:notifications_reminder_changelist", "admin:campaigns_campaign_progress", "admin:index"):
        assert pattern in patterns, pattern
    assert patterns["admin:campaigns_campaign_progress"].kind == "dashboard"
    assert patterns["admin:campaigns_obligation_changelist"].kind == "changelist"
    assert patterns["campaigns:obligations"].target.floor == "list"


def test_the_seed_makes_one_user_of_every_role_a_page_uses():
    roles = {page.role for page in registry.pages().values()}
    assert roles <= set(registry.ROLES)
    assert {"superuser", "city", "district", "street", "firm", "anonymous"} <= roles


def test_a_page_of_an_unknown_kind_or_role_and_an_exemption_without_reason_are_refused():
    with pytest.raises(ValueError):
        registry.register_page("x", role="mayor", url=lambda ctx: "/", pattern="home")
    with pytest.raises(ValueError):
        registry.register_page("x", role="firm", url=lambda ctx: "/", pattern="home", kind="report")
    with pytest.raises(ValueError):
        registry.register_exemption("home", "  ")
    assert "x" not in registry.pages()


def test_a_later_app_adds_its_page_without_touching_the_command():
    try:
        registry.register_page("later.page", role="firm", url=lambda ctx: "/later/", pattern="later:page")
        assert run.select_pages(["later.page"])[0].url(None) == "/later/"
    finally:
        registry._pages.pop("later.page", None)


def test_pages_are_chosen_by_name_or_shell_pattern_in_the_order_given():
    chosen = [p.name for p in run.select_pages(["public.estate", "admin.obligation_changelist*"])]
    assert chosen[0] == "public.estate"
    assert "admin.obligation_changelist" in chosen and "admin.obligation_changelist.district" in chosen
    assert all(n == "public.estate" or n.startswith("admin.obligation_changelist") for n in chosen)


def test_unknown_page_names_are_an_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="portal.obligation_list"):
        run.select_pages(["portal.nope"])


# --- figures and verdicts ---------------------------------------------------------------------------------

def test_percentiles_are_nearest_rank():
    values = [i / 100 for i in range(1, 101)]  # 0.01 … 1.00
    assert percentile(values, 50) == 0.50
    assert percentile(values, 95) == 0.95
    assert percentile(values, 99) == 0.99
    assert percentile(values, 100) == 1.00
    assert percentile([0.3], 95) == 0.3
    assert percentile([], 50) is None
    assert percentile([0.1, 0.2, 0.3], 50) == 0.2


def test_a_summary_counts_requests_errors_and_timeouts():
    samples = [Sample(0.1, 200)] * 8 + [Sample(0.2, 500, ok=False), Sample(10.0, 0, timeout=True, ok=False)]
    s = summarise(samples, seconds=2.0)
    assert (s.requests, s.rps, s.errors, s.timeouts) == (10, 5.0, 1, 1)
    assert s.max == 0.2  # a timeout has no latency of its own: it is counted, not timed
    assert s.statuses == {"200": 8, "500": 1, "0": 1}


def _summary(p95, *, rps=10.0, max_=None, errors=0, timeouts=0):
    s = summarise([Sample(p95, 200)] * 20, seconds=2.0)
    s.rps, s.max, s.errors, s.timeouts = rps, max_ if max_ is not None else p95, errors, timeouts
    return s


def test_a_page_within_its_multiple_of_the_floor_passes():
    v = verdict("page", _summary(0.09, rps=50), _summary(0.05, rps=100))
    assert v.passed and v.reasons == []
    assert v.p95_ratio == pytest.approx(1.8)
    assert v.rps_ratio == pytest.approx(0.5)


@pytest.mark.parametrize("kind, page_p95, passed", [
    ("page", 0.101, False), ("page", 0.100, True),
    ("changelist", 0.066, False), ("changelist", 0.065, True),
    ("dashboard", 0.101, False), ("dashboard", 0.1, True),
])
def test_each_kind_has_its_target(kind, page_p95, passed):
    assert verdict(kind, _summary(page_p95), _summary(0.05)).passed is passed


def test_a_slow_request_a_timeout_or_an_error_fails_a_page_whatever_its_ratio():
    floor = _summary(1.5)
    assert not verdict("dashboard", _summary(1.0, max_=2.1), floor).passed
    assert "max 2.10 s > 2 s" in verdict("dashboard", _summary(1.0, max_=2.1), floor).reasons
    assert verdict("page", _summary(0.01, timeouts=1), floor).reasons == ["1 timeouts"]
    assert verdict("page", _summary(0.01, errors=3), floor).reasons == ["3 errors"]


def test_the_table_has_a_row_per_page_with_its_ratio_and_verdict():
    page, floor = _summary(0.09, rps=50), _summary(0.05, rps=100)
    entry = {"name": "portal.x", "role": "firm", "kind": "page", "target": registry.KINDS["page"].label,
             "page": page.as_dict(), "floor": floor.as_dict(), "verdict": verdict("page", page, floor).as_dict(),
             "passed": True, "loadavg": 2.5}
    skipped = {"name": "portal.y", "role": "firm", "kind": "page", "target": "t", "skipped": "answered 302: ''",
               "passed": False}
    table = run.markdown_table({"estates": 5000, "clients": 20, "rounds": 2, "duration": 10, "workers": 2,
                                "commit": "abc", "started": "2026-12-02T01:00:00", "loadavg_start": (1.0, 1, 1),
                                "loadavg_end": (2.0, 1, 1), "pages": [entry, skipped]})
    assert "| portal.x | firm | 50.0 | 90 | 90 | 90 | 90 | 0/0 | 50 | 1.80× | 0.50× |" in table
    assert "| portal.y | firm |" in table and "FAIL: answered 302" in table
    assert "PASS" in run.format_line(entry) and "FAIL" in run.format_line(skipped)


# --- the load generator -----------------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/slow":
            time.sleep(0.5)
        status = 404 if self.path == "/missing" else 200
        body = f"{self.headers.get('Cookie')}|{self.headers.get('X-Forwarded-Proto')}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_a_request_carries_the_session_and_says_https(server):
    sample, body, _c = fetch(Target(host="127.0.0.1", port=server, path="/", cookies={"sessionid": "abc"}))
    assert sample.ok and sample.status == 200
    assert body == b"sessionid=abc|https"


def test_load_runs_for_its_duration_with_every_client_and_counts_each_answer(server):
    samples, seconds = load(Target(host="127.0.0.1", port=server, path="/"), clients=4, duration=0.3)
    assert 0.3 <= seconds < 2
    assert len(samples) >= 4 and all(s.ok for s in samples)


def test_a_wrong_status_is_an_error_and_a_slow_answer_a_timeout(server):
    samples, _seconds = load(Target(host="127.0.0.1", port=server, path="/missing"), clients=2, duration=0.1)
    assert samples and all(not s.ok and s.status == 404 and not s.timeout for s in samples)
    samples, seconds = load(Target(host="127.0.0.1", port=server, path="/slow"), clients=2, duration=0.1,
                            timeout=0.2)
    assert samples and all(s.timeout for s in samples)
    assert seconds < 1.5  # a slice never waits past its timeout for an answer


def test_nothing_answering_is_an_error_not_a_crash():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sample, _body, _c = fetch(Target(host="127.0.0.1", port=port, path="/"), timeout=1)
    assert sample.status == 0 and not sample.ok and not sample.timeout


# --- the command ------------------------------------------------------------------------------------------

def test_it_refuses_sqlite_with_a_clear_message(db, monkeypatch):
    from django.db import connections

    # On the PostgreSQL run the command must not go on to create its throwaway database inside the test
    # database's connection (every later test of the worker then met an empty database): it is told SQLite.
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(CommandError, match="gunicorn \\+ PostgreSQL"):
        call_command("bench_pages", "--estates", "10")


def test_it_lists_the_pages_and_the_exemptions(capsys):
    call_command("bench_pages", "--list")
    out = capsys.readouterr().out
    assert "portal.obligation_list" in out and "campaigns:obligations" in out
    assert "not benchmarked:" in out and "POST only" in out


def test_the_floor_project_imports_nothing_of_the_portal():
    code = ("import sys, django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'core.benchpages.floor.settings'; "
            "django.setup(); import core.benchpages.floor.urls; "
            "mods = [m for m in sys.modules if m.split('.')[0] in "
            "('config', 'estates', 'campaigns', 'accounts', 'notifications', 'documents')]; "
            "print(mods); assert not mods")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr


# --- every registered page, on a small seeded city ----------------------------------------------------------

class _Out:
    def __init__(self):
        self.lines = []

    def write(self, text):
        self.lines.append(text)


@pytest.fixture
def seeded(db):
    return run.seed(_Out(), estates=30, seed_value=2011)


def test_every_registered_page_answers_its_role_on_the_seeded_city(seeded):
    """What the run checks before timing a page, here through the test client: each page's address, built from
    the seed, answers 200 to its role's session (a redirect to the login page would measure nothing)."""
    assert set(seeded.users) == {"superuser", "city", "district", "street", "firm"}
    failures = []
    for page in registry.pages().values():
        client = Client()
        if page.role != "anonymous":
            client.force_login(seeded.users[page.role])
        path = page.url(seeded)
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200:
            failures.append((page.name, path, response.status_code))
    assert not failures


class _LivePortal:
    """The live test server in the place of the portal's gunicorn (its access log: none)."""

    def __init__(self, url):
        self.port = int(url.rsplit(":", 1)[1])

    def logged(self, path):
        return 0

    def restarts(self):
        return 0


def test_a_page_is_checked_warmed_loaded_beside_its_floor_and_judged(transactional_db, live_server, settings):
    """One page of a run end to end against the live test server: its floor here is the login page, so the
    figures are real and the ratio near 1; a page answering its role a redirect is reported, not timed."""
    settings.ALLOWED_HOSTS = ["*"]
    ctx = run.seed(_Out(), estates=20, seed_value=2011)
    cookies = run.sessions(ctx)
    portal = _LivePortal(live_server.url)
    login = Target(host="127.0.0.1", port=portal.port, path="/accounts/login/")
    floors = {"list": login, "changelist": login}
    out = _Out()
    page = registry.pages()["public.estate"]
    entry = run._bench_page(page, ctx=ctx, cookies=cookies, portal=portal, floors=floors, clients=2, duration=0.2,
                            rounds=2, timeout=5, workers=1, stdout=out)
    assert entry["path"].startswith("/e/") and entry["page"]["requests"] > 0 and entry["floor"]["requests"] > 0
    assert entry["page"]["errors"] == entry["page"]["timeouts"] == 0
    assert entry["verdict"]["p95_ratio"] is not None and entry["client_requests"] == entry["page"]["requests"] + 3
    assert out.lines == [run.format_line(entry)]
    assert entry["alone"]["status"] == 200 and entry["alone"]["queries"] >= 1  # the same page once, in-process

    wrong = registry.Page(name="x", role="anonymous", url=lambda ctx: "/portal/", pattern="portal:dashboard")
    entry = run._bench_page(wrong, ctx=ctx, cookies=cookies, portal=portal, floors=floors, clients=2, duration=0.2,
                            rounds=1, timeout=5, workers=1, stdout=out)
    assert not entry["passed"] and entry["skipped"].startswith("answered 302")


def test_the_floor_serves_a_list_of_50_rows_and_a_changelist_of_100_to_its_superuser(tmp_path):
    """The floor project on its own (a subprocess: another Django project), on SQLite for the test only."""
    code = """
import json, os, sys, io, contextlib
os.environ['DJANGO_SETTINGS_MODULE'] = 'core.benchpages.floor.settings'
with contextlib.redirect_stdout(io.StringIO()) as out:
    from core.benchpages.floor import seed
    seed.main(1000)
cookies = json.loads(out.getvalue().strip().splitlines()[-1])['cookies']
from django.conf import settings
from django.test import Client
settings.ALLOWED_HOSTS.append('testserver')
c = Client()
anonymous = Client().get('/admin/floor/item/').status_code
for k, v in cookies.items():
    c.cookies[k] = v
listing = c.get('/items/').content.decode()
changelist = c.get('/admin/floor/item/').content.decode()
rows = changelist.count('name="_selected_action"')
print(json.dumps({'list_rows': listing.count('<tr><td>'), 'changelist_rows': rows, 'anonymous': anonymous}))
"""
    env = {"PATH": "/usr/bin:/bin", "FLOOR_DB_ENGINE": "sqlite3", "FLOOR_DB_NAME": str(tmp_path / "floor.sqlite3")}
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures == {"list_rows": 50, "changelist_rows": 100, "anonymous": 302}


def test_the_portal_log_counts_a_page_s_requests_and_the_worker_restarts(tmp_path):
    from core.benchpages.servers import Server

    server = Server(name="portal", app="config.wsgi", env={}, workers=2, logdir=tmp_path)
    server.log_path.write_text(
        '127.0.0.1 - - [02/Dec/2026:09:00:00 +0800] "GET /portal/ HTTP/1.1" 200 10 "-" "bench_pages"\n'
        '127.0.0.1 - - [02/Dec/2026:09:00:00 +0800] "GET /portal/?page=2 HTTP/1.1" 200 10 "-" "bench_pages"\n'
        "[2026-12-02 09:00:01 +0800] [123] [INFO] Autorestarting worker after current request.\n"
        "[2026-12-02 09:00:02 +0800] [124] [INFO] Booting worker with pid: 124\n"
        '127.0.0.1 - - [02/Dec/2026:09:00:03 +0800] "GET /portal/ HTTP/1.1" 200 10 "-" "bench_pages"\n',
        encoding="utf-8")
    assert server.logged("/portal/") == 2 and server.logged("/portal/?page=2") == 1
    assert server.restarts() == 1
