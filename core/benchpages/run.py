"""One run of the page benchmark: seed, serve, load every page beside its floor, report.

The order of a run:

1. a throwaway PostgreSQL database migrated next to the configured one; the seed steps the apps registered
   (core/benchpages/registry.py) build the city of ``--estates`` estates, one user per role, a published
   campaign moved on in time (obligations accepted, submitted, returned), records, reminders, notifications;
   a logged-in session per role through ``Client.force_login`` (the real session and auth models);
2. the floor's own throwaway database (1,000 rows and a superuser) and two gunicorns under config/gunicorn.py,
   ``--workers`` sync workers each, on loopback: the portal with its production settings and a throwaway Redis
   (its own ``redis-server``, in memory) as its cache and broker, as in production; the floor project;
3. each page is requested once as its role and must answer 200 (a redirect to the login page would measure
   nothing); then ``--rounds`` times: the page for ``--duration`` seconds, then its floor for as long
   (A B A B…), ``--clients`` clients each; the floor of a page is measured in the slices beside it, so a page
   and its ratio share the machine's load of the same minutes;
4. per page: req/s, p50/p95/p99, max, errors and timeouts of the page and its floor, the ratios of p95 and
   req/s, the target of its kind and PASS/FAIL; the load average of the machine after its slices.
"""

import datetime
import fnmatch
import logging
import os
import platform
import subprocess
import time
import warnings

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from . import registry
from .runner import Target, fetch, load
from .servers import (
    HOST,
    MANIFEST_STORAGE,
    Server,
    collect_static,
    database_url,
    throwaway_floor_database,
    throwaway_portal_database,
    throwaway_redis,
)
from .stats import summarise, verdict

FLOOR_PATHS = {"list": "/items/", "changelist": "/admin/floor/item/"}
FLOOR_ROWS = 1000


def select_pages(names=None):
    """The registered pages, or those named, in the order given; a name may be a shell pattern (``admin.*``).
    A name or pattern that matches nothing is an error listing the known names."""
    pages = registry.pages()
    if not names:
        return list(pages.values())
    chosen, unknown = {}, []
    for name in names:
        matches = [n for n in pages if fnmatch.fnmatchcase(n, name)]
        if not matches:
            unknown.append(name)
        for match in matches:
            chosen.setdefault(match, pages[match])
    if unknown:
        raise KeyError(f"unknown page(s): {', '.join(unknown)}; known: {', '.join(sorted(pages))}")
    return list(chosen.values())


def seed(stdout, *, estates, seed_value):
    """Run the registered seed steps. Mail the seed sends (publishing notifies the parties) goes to memory, and
    the INFO lines of Celery's eager tasks are not printed: the run's output is its figures."""
    ctx = registry.Context(estates=estates, seed=seed_value, stdout=stdout)
    logging.disable(logging.INFO)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for step in registry.seed_steps():
                t0 = time.perf_counter()
                step.run(ctx)
                stdout.write(f"  seed step {step.name}: {time.perf_counter() - t0:.1f} s")
    finally:
        logging.disable(logging.NOTSET)
    return ctx


def sessions(ctx):
    """Cookies of a logged-in session per role (none for anonymous)."""
    cookies = {"anonymous": {}}
    for role, user in ctx.users.items():
        client = Client()
        client.force_login(user)
        cookies[role] = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    return cookies


def _git(*args):
    try:
        return subprocess.run(["git", *args], cwd=settings.BASE_DIR, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def _git_commit():
    """The commit, and the files changed since (gunicorn serves the working tree, not the commit)."""
    # Porcelain lines are "XY path": the two status letters (either may be a space), a space, the path.
    changed = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return _git("rev-parse", "--short", "HEAD").strip(), changed


def check(target):
    """The page answers its expected status once (a wrong answer: the status and the start of the body)."""
    sample, body, _c = fetch(target, timeout=30)
    if sample.ok:
        return None
    return f"answered {sample.status or 'nothing'}: {body[:200].decode('utf-8', 'replace')!r}"


def bench(pages, *, stdout, estates, seed_value=2011, clients=20, duration=10.0, rounds=2, workers=2,
          timeout=10.0, workdir, header=None, explain=False):
    """Run the whole benchmark; returns the result dict (what ``--json`` writes)."""
    started = datetime.datetime.now(datetime.UTC)
    result = {
        "started": started.isoformat(timespec="seconds"), "estates": estates, "seed": seed_value,
        "clients": clients, "duration": duration, "rounds": rounds, "workers": workers, "timeout": timeout,
        "commit": None, "changed_files": None, "cpus": os.cpu_count(), "python": platform.python_version(),
        "loadavg_start": os.getloadavg(), "pages": [],
    }
    result["commit"], result["changed_files"] = _git_commit()
    static_root = workdir / "static"
    collect_static(stdout, static_root)
    # The portal's cache is a throwaway Redis of its own, as in production (docker-compose.yml): with a cache
    # private to each gunicorn worker, every worker (and every worker gunicorn recycles after max_requests)
    # would compute a page's kept figures and fragments again inside the timed slices.
    with throwaway_portal_database(stdout) as portal_db, throwaway_floor_database(stdout, rows=FLOOR_ROWS) as (
            floor_env, floor_cookies), throwaway_redis(stdout) as redis_url:
        t0 = time.perf_counter()
        ctx = seed(stdout, estates=estates, seed_value=seed_value)
        result["seed_seconds"] = round(time.perf_counter() - t0, 1)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            result["postgresql"] = cursor.fetchone()[0]
            # Planner statistics as autovacuum would have them on a live server after the bulk inserts.
            cursor.execute("VACUUM ANALYZE")
        cookies = sessions(ctx)
        portal = Server(name="portal", app="config.wsgi", workers=workers, logdir=workdir, env={
            "DATABASE_URL": database_url(connection.settings_dict, portal_db), "DEBUG": "0", "EMBEDDED": "0",
            "CONN_MAX_AGE": "60", "SECRET_KEY": settings.SECRET_KEY, "STATIC_ROOT": str(static_root),
            "STATICFILES_BACKEND": MANIFEST_STORAGE, "REDIS_URL": redis_url, "ENV_FILE": "/dev/null",
            "ALLOWED_HOSTS": HOST, "LOG_LEVEL": "WARNING"})
        floor = Server(name="floor", app="core.benchpages.floor.wsgi", workers=workers, logdir=workdir,
                       env=floor_env)
        try:
            portal.start()
            floor.start(probe=FLOOR_PATHS["list"])
            stdout.write(f"servers: portal :{portal.port}, floor :{floor.port} ({workers} sync workers each); "
                         f"{clients} clients, {rounds} × ({duration:g} s page + {duration:g} s floor) a page")
            floors = {kind: Target(host=HOST, port=floor.port, path=path, cookies=floor_cookies)
                      for kind, path in FLOOR_PATHS.items()}
            for kind, target in floors.items():
                problem = check(target)
                if problem:
                    raise RuntimeError(f"the floor's {kind} page {target!r} {problem}")
            if header:
                stdout.write(header)
            for page in pages:
                result["pages"].append(_bench_page(page, ctx=ctx, cookies=cookies, portal=portal, floors=floors,
                                                   clients=clients, duration=duration, rounds=rounds,
                                                   timeout=timeout, workers=workers, stdout=stdout,
                                                   explain=explain))
        finally:
            portal.stop()
            floor.stop()
            connection.close()
    result["loadavg_end"] = os.getloadavg()
    result["seconds"] = round((datetime.datetime.now(datetime.UTC) - started).total_seconds(), 1)
    return result


def _bench_page(page, *, ctx, cookies, portal, floors, clients, duration, rounds, timeout, workers, stdout,
                explain=False):
    entry = {"name": page.name, "pattern": page.pattern, "role": page.role, "kind": page.kind,
             "target": page.target.label, "path": None}
    try:
        path = page.url(ctx)
    except Exception as exc:  # the seed has no object for it: report, go on with the others
        entry.update(skipped=f"no address: {exc.__class__.__name__}: {exc}", passed=False)
        stdout.write(f"{page.name}: SKIPPED ({entry['skipped']})")
        return entry
    entry["path"] = path
    target = Target(host=HOST, port=portal.port, path=path, cookies=cookies[page.role])
    problem = check(target)
    if problem:
        entry.update(skipped=problem, passed=False)
        stdout.write(f"{page.name}: FAIL {path} {problem}")
        return entry
    floor = floors[page.target.floor]
    logged_before, restarts_before = portal.logged(path), portal.restarts()
    for _ in range(workers * 2):  # every worker has rendered the page once before it is timed
        fetch(target, timeout=timeout)
    page_samples, floor_samples = [], []
    page_seconds = floor_seconds = 0.0
    for _round in range(rounds):
        samples, seconds = load(target, clients=clients, duration=duration, timeout=timeout)
        page_samples += samples
        page_seconds += seconds
        samples, seconds = load(floor, clients=clients, duration=duration, timeout=timeout)
        floor_samples += samples
        floor_seconds += seconds
    mine, theirs = summarise(page_samples, page_seconds), summarise(floor_samples, floor_seconds)
    judged = verdict(page.kind, mine, theirs)
    entry.update(page=mine.as_dict(), floor=theirs.as_dict(), verdict=judged.as_dict(), passed=judged.passed,
                 loadavg=os.getloadavg()[0], bytes=len(fetch(target, timeout=timeout)[1]))
    # The server's own count of the page's requests (warm-up and size probe included) beside the client's: a
    # timed-out request the server still answered is in its log, not in the client's tally of answers.
    time.sleep(0.2)
    entry["server_requests"] = portal.logged(path) - logged_before
    entry["client_requests"] = len(page_samples) + workers * 2 + 1
    entry["worker_restarts"] = portal.restarts() - restarts_before
    entry["alone"] = profile(path, cookies[page.role], explain=explain and not judged.passed)
    stdout.write(format_line(entry))
    for plan in entry["alone"].get("explain", []):
        stdout.write(f"    EXPLAIN ANALYZE of a {plan['seconds'] * 1000:.0f} ms query:\n"
                     + "\n".join("      " + line for line in plan["plan"].splitlines()[:12])
                     + "\n      … (the whole plan and its SQL: --json)")
    return entry


def profile(path, cookies, *, explain=False, top=3):
    """The page requested once in this process (Django's test client, same database, the role's session): its
    query count and time, and with ``explain`` the ``EXPLAIN (ANALYZE, BUFFERS)`` of its ``top`` slowest
    SELECTs, as PostgreSQL runs them on the seeded city (the SQL as sent: psycopg2 binds the parameters)."""
    client = Client(raise_request_exception=False)
    for name, value in cookies.items():
        client.cookies[name] = value
    with warnings.catch_warnings(), override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False, STORAGES={
            **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}):
        warnings.simplefilter("ignore")  # whitenoise: "No directory at" the STATIC_ROOT this process never collected
        client.get(path, HTTP_X_FORWARDED_PROTO="https")  # templates compiled and cached in this process first
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(path, HTTP_X_FORWARDED_PROTO="https")
            seconds = time.perf_counter() - t0
    result = {"status": response.status_code, "queries": len(queries), "seconds": round(seconds, 4),
              "query_seconds": round(sum(float(q["time"]) for q in queries.captured_queries), 4)}
    if explain:
        slowest = sorted((q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
                          and float(q["time"]) >= 0.002), key=lambda q: -float(q["time"]))[:top]
        result["explain"] = []
        with connection.cursor() as cursor:
            for q in slowest:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                result["explain"].append({"seconds": float(q["time"]), "sql": q["sql"],
                                          "plan": "\n".join(row[0] for row in cursor.fetchall())})
    return result


def _ms(value):
    return "—" if value is None else f"{value * 1000:.0f}"


def _queries(entry):
    alone = entry.get("alone") or {}
    return alone.get("queries", "—")


def format_line(entry):
    if entry.get("skipped"):
        return f"{entry['name']:<38} FAIL  {entry['skipped']}"
    p, f, v = entry["page"], entry["floor"], entry["verdict"]
    p95r = "—" if v["p95_ratio"] is None else f"{v['p95_ratio']:.2f}×"
    rpsr = "—" if v["rps_ratio"] is None else f"{v['rps_ratio']:.2f}×"
    state = "PASS" if entry["passed"] else "FAIL"
    why = "" if entry["passed"] else "  (" + "; ".join(v["reasons"]) + ")"
    if entry.get("worker_restarts"):
        why += f"  [{entry['worker_restarts']} portal worker restart(s) during its slices]"
    return (f"{entry['name']:<38} {p['rps']:7.1f} {_ms(p['p50']):>6} {_ms(p['p95']):>6} {_ms(p['p99']):>6} "
            f"{_ms(p['max']):>6} {p['errors']:>4}/{p['timeouts']:<4} {_ms(f['p95']):>6} {p95r:>7} {rpsr:>7} "
            f"{_queries(entry):>4} {entry.get('bytes', 0) / 1024:6.0f} {entry['kind']:<10} {state} "
            f"load {entry['loadavg']:.1f}{why}")


HEADER = (f"{'page':<38} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'err/to':>9} {'flp95':>6} "
          f"{'p95÷fl':>7} {'rps÷fl':>7} {'q':>4} {'KB':>6} {'kind':<10} verdict   (times in ms; q: queries)")


def markdown_table(result):
    """The README table of a result."""
    lines = [f"{result['estates']:,} estates, {result['clients']} clients, {result['rounds']} × "
             f"{result['duration']:g} s a page and its floor, {result['workers']} sync workers, "
             f"PostgreSQL {result.get('postgresql', '?')}, commit {result['commit']}"
             f"{' + uncommitted changes' if result.get('changed_files') else ''}, {result['started']} UTC, "
             f"load average {result['loadavg_start'][0]:.1f} at start, {result['loadavg_end'][0]:.1f} at end",
             "",
             "| page | role | req/s | p50 ms | p95 ms | p99 ms | max ms | err/timeouts | floor p95 ms | p95 ÷ floor | "
             "req/s ÷ floor | queries | KB | target | verdict | load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|"]
    for e in result["pages"]:
        if e.get("skipped"):
            why = e["skipped"][:80].replace("|", "/")
            lines.append(f"| {e['name']} | {e['role']} | | | | | | | | | | | | {e['target']} | FAIL: {why} | |")
            continue
        p, f, v = e["page"], e["floor"], e["verdict"]
        lines.append(
            f"| {e['name']} | {e['role']} | {p['rps']:.1f} | {_ms(p['p50'])} | {_ms(p['p95'])} | {_ms(p['p99'])} | "
            f"{_ms(p['max'])} | {p['errors']}/{p['timeouts']} | {_ms(f['p95'])} | "
            f"{'—' if v['p95_ratio'] is None else format(v['p95_ratio'], '.2f')}× | "
            f"{'—' if v['rps_ratio'] is None else format(v['rps_ratio'], '.2f')}× | {_queries(e)} | "
            f"{e.get('bytes', 0) / 1024:.0f} | {e['target']} | "
            f"{'PASS' if e['passed'] else 'FAIL'} | {e['loadavg']:.1f} |")
    return "\n".join(lines)
