"""One run of ``bench_suggestions``: the residents' public form under load beside a bare Django form.

1. A throwaway PostgreSQL database migrated next to the configured one, the demo city of ``estates``
   estates in it (estates/demo.py); a throwaway Redis (its own ``redis-server`` on a free loopback port,
   nothing saved to disk) as production has it: Celery's broker and the cache. No Celery worker runs:
   the outbox rows a submission writes are committed with it and their send task is queued, as in
   production; sending them is not measured.
2. Two gunicorns under config/gunicorn.py, ``workers`` sync workers each, on loopback
   (core/benchpages/servers.py): the portal with its production settings (DEBUG off, CONN_MAX_AGE=60,
   compressed manifest static files) and the floor, bare Django (floor_settings.py, floor_urls.py:
   a two-field form whose POST creates one row), each with its own throwaway database.
3. The flood limits are raised for the run through the environment, and said so in the output:
   SUGGESTION_RATE_PER_HOUR, SUGGESTION_RATE_PER_DAY and SUGGESTION_CHALLENGE_AFTER to 1,000,000 (each
   client still sends from its own address, X-Forwarded-For from the trusted loopback proxy, so the
   limits' own queries run as usual; only their thresholds are out of reach).
4. Warm-up (every worker has served the form and a POST), then ``rounds`` × (portal, floor): each
   ``total / rounds`` submissions from ``clients`` concurrent clients (client.py): A B A B, so the
   floor shares the machine's load of the same minutes.
5. The count: every POST the clients saw accepted (302) must be one row in the database (by its
   marker) and one "POST … 302" line of gunicorn's own access log; none lost, none doubled, nothing
   saved that a client did not see accepted. Then the figures: submissions/s, GET and POST
   p50/p95/p99, and the ratios to the floor; the targets: POST p95 under 150 ms and at least 3× the
   django-helpdesk public form's 65 submissions/s (../shared/FLOORS.md).
"""

import datetime
import os
import platform
import re
import subprocess
import time
from collections import Counter

from django.conf import settings
from django.db import connection

from core.benchpages.servers import (
    HOST,
    MANIFEST_STORAGE,
    Server,
    collect_static,
    database_url,
    throwaway_floor_database,
    throwaway_portal_database,
    throwaway_redis,
)
from core.benchpages.stats import percentile

from . import client

HELPDESK_RATE = 65.0  # submissions/s of django-helpdesk's public form (../shared/FLOORS.md)
TARGET_RATE = 3 * HELPDESK_RATE
TARGET_POST_P95 = 0.150
LIMITS_OFF = {"SUGGESTION_RATE_PER_HOUR": "1000000", "SUGGESTION_RATE_PER_DAY": "1000000",
              "SUGGESTION_CHALLENGE_AFTER": "1000000"}
FORM_PATH = re.compile(r"/e/[A-Za-z0-9-]+/suggest/")
FLOOR_PATH = "/submit/"
MARKER = re.compile(r"\[([a-z]\d*-\d{6})\]")
TEXT = "小区东门的路灯坏了三天，晚上回家很不安全，请尽快修理。"
CATEGORIES = ("environment", "safety", "facilities", "greening", "fees", "attitude", "other")


def portal_fields(marker, rng):
    mobile = f"{rng.choice(('138', '139', '186', '135', '159'))}{rng.randrange(10**8):08d}"
    return {"category": rng.choice(CATEGORIES), "text": f"{TEXT}{marker}", "name": "王阿姨", "mobile": mobile,
            "consent_contact": "on", "website": ""}


def floor_fields(marker, rng):
    return {"name": "王阿姨", "text": f"{TEXT}{marker}"}


def summary(outcome):
    """The figures of one or more runs (an Outcome)."""
    def times(timings):
        ok = sorted(t.seconds for t in timings if t.status)
        return {"p50": percentile(ok, 50), "p95": percentile(ok, 95), "p99": percentile(ok, 99),
                "max": ok[-1] if ok else None, "count": len(timings),
                "failed": sum(1 for t in timings if not t.status)}

    return {"submissions": len(outcome.accepted) + len(outcome.refused), "accepted": len(outcome.accepted),
            "refused": len(outcome.refused), "seconds": outcome.seconds, "rate": outcome.rate,
            "get": times(outcome.gets), "post": times(outcome.posts),
            "statuses": dict(Counter(str(t.status) for t in outcome.posts))}


def merge(outcomes):
    merged = client.Outcome()
    for o in outcomes:
        merged.gets += o.gets
        merged.posts += o.posts
        merged.accepted += o.accepted
        merged.refused += o.refused
        merged.seconds += o.seconds
    return merged


def reconcile(*, accepted, stored_texts, log_count):
    """Every accepted submission stored once and logged once: the check of step 5.

    ``accepted``: markers the clients saw accepted; ``stored_texts``: the texts of every row stored;
    ``log_count``: the access log's POST…302 lines. Returns a dict with ``ok`` and the numbers.
    """
    stored = Counter(m for text in stored_texts for m in MARKER.findall(text))
    accepted_set = set(accepted)
    lost = sorted(accepted_set - set(stored))
    doubled = sorted(m for m, n in stored.items() if n > 1)
    unseen = sorted(set(stored) - accepted_set)  # saved, but the client did not see it accepted
    rows = len(stored_texts)
    ok = (not lost and not doubled and not unseen and len(accepted) == len(accepted_set)
          and rows == len(accepted_set) == log_count)
    return {"ok": ok, "accepted": len(accepted), "rows": rows, "log": log_count, "lost": lost[:20],
            "doubled": doubled[:20], "unseen": unseen[:20], "lost_count": len(lost), "doubled_count": len(doubled),
            "unseen_count": len(unseen)}


def _portal_texts():
    from suggestions.models import Suggestion

    return list(Suggestion.private_objects.values_list("text", flat=True))


def _floor_texts(env):
    import psycopg2

    with psycopg2.connect(dbname=env["FLOOR_DB_NAME"], user=env["FLOOR_DB_USER"] or None,
                          password=env["FLOOR_DB_PASSWORD"] or None, host=env["FLOOR_DB_HOST"],
                          port=env["FLOOR_DB_PORT"]) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT address FROM floor_item WHERE address LIKE %s", [f"{TEXT}%"])
        return [row[0] for row in cursor.fetchall()]


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def seed(stdout, *, estates):
    from estates.demo import build_city
    from estates.models import Estate

    t0 = time.perf_counter()
    build_city(estates=estates, seed=2011)
    codes = list(Estate.objects.filter(is_active=True, firm__isnull=False).values_list("code", flat=True))
    stdout.write(f"seed: {estates:,} estates ({len(codes):,} with a firm) in {time.perf_counter() - t0:.1f} s")
    return codes


def bench(*, stdout, total=2000, clients=50, rounds=2, workers=None, estates=50, timeout=30.0, workdir):
    from django.urls import reverse

    workers = workers or (os.cpu_count() or 1) * 2 + 1  # config/gunicorn.py's own default
    started = datetime.datetime.now(datetime.UTC)
    result = {"started": started.isoformat(timespec="seconds"), "total": total, "clients": clients,
              "rounds": rounds, "workers": workers, "estates": estates, "cpus": os.cpu_count(),
              "python": platform.python_version(), "loadavg_start": os.getloadavg(),
              "limits_raised": LIMITS_OFF, "commit": _git_commit()}
    static_root = workdir / "static"
    collect_static(stdout, static_root)
    with throwaway_portal_database(stdout, prefix="bench_suggestions") as portal_db, \
            throwaway_floor_database(stdout, rows=1000, prefix="bench_suggestions_floor") as (floor_env, _c), \
            throwaway_redis(stdout) as redis_url:
        codes = seed(stdout, estates=estates)
        paths = [reverse("suggestions:suggest", kwargs={"code": code}) for code in codes]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            result["postgresql"] = cursor.fetchone()[0]
            cursor.execute("VACUUM ANALYZE")
        connection.close()
        portal = Server(name="portal", app="config.wsgi", workers=workers, logdir=workdir, env={
            "DATABASE_URL": database_url(connection.settings_dict, portal_db), "DEBUG": "0", "EMBEDDED": "0",
            "CONN_MAX_AGE": "60", "SECRET_KEY": settings.SECRET_KEY, "STATIC_ROOT": str(static_root),
            "STATICFILES_BACKEND": MANIFEST_STORAGE, "REDIS_URL": redis_url, "ENV_FILE": "/dev/null",
            "ALLOWED_HOSTS": HOST, "LOG_LEVEL": "WARNING", "MEDIA_ROOT": str(workdir / "media"), **LIMITS_OFF})
        floor = Server(name="floor", app="core.benchpages.floor.wsgi", workers=workers, logdir=workdir,
                       env={**floor_env, "DJANGO_SETTINGS_MODULE": "suggestions.benchload.floor_settings"})
        try:
            portal.start(probe=paths[0])
            floor.start(probe=FLOOR_PATH)
            stdout.write(f"servers: portal :{portal.port}, floor :{floor.port} ({workers} sync workers each); "
                         f"{total:,} submissions from {clients} clients in {rounds} rounds, each beside the floor")
            stdout.write("flood limits raised for the run: " + ", ".join(f"{k}={v}" for k, v in LIMITS_OFF.items()))
            common = {"host": HOST, "clients": clients, "timeout": timeout}
            warm = [client.run(port=portal.port, paths=paths, total=workers * 4, fields=portal_fields, tag="w",
                               **dict(common, clients=workers)),
                    client.run(port=floor.port, paths=[FLOOR_PATH], total=workers * 4, fields=floor_fields, tag="v",
                               **dict(common, clients=workers))]
            mine, theirs = [], []
            share = [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]
            for i, n in enumerate(share, start=1):
                mine.append(client.run(port=portal.port, paths=paths, total=n, fields=portal_fields, tag=f"p{i}",
                                       **common))
                stdout.write(f"  round {i}: portal {mine[-1].rate:.0f} submissions/s, load {os.getloadavg()[0]:.1f}")
                theirs.append(client.run(port=floor.port, paths=[FLOOR_PATH], total=n, fields=floor_fields,
                                         tag=f"f{i}", **common))
                stdout.write(f"  round {i}: floor {theirs[-1].rate:.0f} submissions/s, load {os.getloadavg()[0]:.1f}")
        finally:
            portal.stop()
            floor.stop()
        portal_log = portal.log_path.read_text(encoding="utf-8", errors="replace")
        floor_log = floor.log_path.read_text(encoding="utf-8", errors="replace")
        result["portal_count"] = reconcile(
            accepted=[m.strip("[]") for o in [warm[0], *mine] for m in o.accepted], stored_texts=_portal_texts(),
            log_count=client.count_access_log(portal_log, method="POST", path_pattern=FORM_PATH.pattern, status=302))
        result["floor_count"] = reconcile(
            accepted=[m.strip("[]") for o in [warm[1], *theirs] for m in o.accepted],
            stored_texts=_floor_texts(floor_env),
            log_count=client.count_access_log(floor_log, method="POST", path_pattern=FLOOR_PATH, status=302))
        connection.close()
    result["portal"], result["floor"] = summary(merge(mine)), summary(merge(theirs))
    result["refused_examples"] = [r for o in mine for r in o.refused][:5]
    result["verdict"] = verdict(result)
    result["loadavg_end"] = os.getloadavg()
    result["seconds"] = round((datetime.datetime.now(datetime.UTC) - started).total_seconds(), 1)
    return result


def verdict(result):
    p, f = result["portal"], result["floor"]
    checks = {
        "every accepted submission stored and logged once": result["portal_count"]["ok"],
        "the floor's count too": result["floor_count"]["ok"],
        f"POST p95 under {TARGET_POST_P95 * 1000:.0f} ms": p["post"]["p95"] is not None
        and p["post"]["p95"] < TARGET_POST_P95,
        f"at least {TARGET_RATE:.0f} submissions/s (3× django-helpdesk's {HELPDESK_RATE:.0f})":
            p["rate"] >= TARGET_RATE,
        "no submission refused": p["refused"] == 0,
    }
    return {"checks": checks, "passed": all(checks.values()),
            "rate_ratio": p["rate"] / f["rate"] if f["rate"] else None,
            "post_p95_ratio": (p["post"]["p95"] / f["post"]["p95"]) if f["post"]["p95"] else None}


def _ms(value):
    return "—" if value is None else f"{value * 1000:.0f}"


def report(result):
    """The lines the command prints."""
    lines = [f"{'':<8} {'subm.':>6} {'subm/s':>7} {'GET p50':>8} {'p95':>5} {'p99':>5} {'POST p50':>9} {'p95':>5} "
             f"{'p99':>5} {'max':>6} {'refused':>8}   (ms)"]
    for name in ("portal", "floor"):
        s = result[name]
        lines.append(f"{name:<8} {s['accepted']:>6} {s['rate']:>7.1f} {_ms(s['get']['p50']):>8} "
                     f"{_ms(s['get']['p95']):>5} {_ms(s['get']['p99']):>5} {_ms(s['post']['p50']):>9} "
                     f"{_ms(s['post']['p95']):>5} {_ms(s['post']['p99']):>5} {_ms(s['post']['max']):>6} "
                     f"{s['refused']:>8}")
    v = result["verdict"]
    ratio = "—" if v["rate_ratio"] is None else f"{v['rate_ratio']:.2f}×"
    p95 = "—" if v["post_p95_ratio"] is None else f"{v['post_p95_ratio']:.2f}×"
    lines.append(f"portal ÷ floor: submissions/s {ratio}, POST p95 {p95}; "
                 f"{result['portal']['rate'] / HELPDESK_RATE:.2f}× django-helpdesk's {HELPDESK_RATE:.0f}/s")
    for name in ("portal_count", "floor_count"):
        c = result[name]
        lines.append(f"{name.split('_')[0]} count: {c['accepted']:,} accepted by the clients, {c['rows']:,} rows, "
                     f"{c['log']:,} 'POST … 302' in gunicorn's access log; lost {c['lost_count']}, doubled "
                     f"{c['doubled_count']}, saved but not seen {c['unseen_count']} — "
                     f"{'OK' if c['ok'] else 'MISMATCH'}")
    for check, ok in v["checks"].items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {check}")
    lines.append(f"{'PASS' if v['passed'] else 'FAIL'} ({result['seconds']:.0f} s, load average "
                 f"{result['loadavg_start'][0]:.1f} at start, {result['loadavg_end'][0]:.1f} at end, "
                 f"PostgreSQL {result.get('postgresql', '?')}, {result['workers']} sync workers, "
                 f"{result['cpus']} CPUs, commit {result['commit']})")
    return lines
