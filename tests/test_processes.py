"""The production process definitions load: gunicorn's config file and the Celery app.

.ci/run goes further and starts gunicorn, a worker and beat against PostgreSQL and Redis.
"""

import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(args, **env):
    full_env = {"PATH": f"{BIN}:/usr/bin:/bin", "ENV_FILE": "/dev/null", "EMBEDDED": "1", **env}
    return subprocess.run(args, cwd=BASE_DIR, env=full_env, capture_output=True, text=True, timeout=120)


def test_gunicorn_config_takes_port_and_workers_from_the_environment():
    result = run(
        [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "--print-config", "config.wsgi"],
        PORT="9123",
        WEB_CONCURRENCY="5",
    )
    assert result.returncode == 0, result.stderr
    lines = (line.partition("=") for line in result.stdout.splitlines())
    settings = {key.strip(): value.strip() for key, _, value in lines}
    assert settings["bind"] == "['0.0.0.0:9123']"
    assert settings["workers"] == "5"
    assert settings["accesslog"] == "-"


def test_celery_app_loads_the_django_settings():
    script = "from config.celery import app; print(app.conf.broker_url, app.conf.task_always_eager)"
    result = run([sys.executable, "-c", script], REDIS_URL="redis://redis:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["redis://redis:6379/0", "False"]


def _gunicorn_hooks():
    import runpy

    return runpy.run_path(str(BASE_DIR / "config" / "gunicorn.py"))


def _exit_with(code, hooks, monkeypatch):
    """Run gunicorn's ``worker_exit`` as its arbiter does: in the ``finally`` of a worker leaving with ``code``."""
    import os

    from django.db import connections

    left, closed = [], []
    monkeypatch.setattr(os, "_exit", lambda status: left.append(status))
    monkeypatch.setattr(connections, "close_all", lambda: closed.append(True))
    try:
        try:
            sys.exit(code)
        finally:
            hooks["worker_exit"](None, None)
    except SystemExit:
        pass
    return left, closed


def test_a_worker_leaving_normally_skips_the_finalisation(monkeypatch):
    """config/gunicorn.py: a recycled worker (SystemExit 0) closes its connections and leaves with os._exit."""
    import logging

    monkeypatch.setattr(logging, "shutdown", lambda: None)
    assert _exit_with(0, _gunicorn_hooks(), monkeypatch) == ([0], [True])


def test_a_worker_that_failed_to_boot_keeps_its_exit_code(monkeypatch):
    """The arbiter stops on a worker's boot error (3) or a failed import of the app (4): those exit as before."""
    hooks = _gunicorn_hooks()
    for code in (3, 4, -1):
        assert _exit_with(code, hooks, monkeypatch) == ([], [])


def test_the_master_freezes_what_it_preloaded_before_each_fork(monkeypatch):
    import gc

    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    _gunicorn_hooks()["pre_fork"](None, None)
    assert frozen == [True]


def test_recycled_workers_answer_and_log_every_request(tmp_path):
    """One worker recycled every 10-15 requests: 120 requests, each answered and each in the access log once
    (the last lines are flushed before os._exit), and the worker was indeed recycled."""
    import http.client
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "ENV_FILE": "/dev/null", "EMBEDDED": "1", "DEBUG": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PORT": str(port), "BIND_ADDRESS": "127.0.0.1",
           "WEB_CONCURRENCY": "1", "GUNICORN_MAX_REQUESTS": "10", "GUNICORN_MAX_REQUESTS_JITTER": "5",
           "WARM_TEMPLATES": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    with log.open("w") as out:
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"], cwd=BASE_DIR,
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        statuses = []
        deadline = time.monotonic() + 60
        while len(statuses) < 120 and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/healthz")
                statuses.append(conn.getresponse().status)
            except OSError:
                time.sleep(0.1)  # not listening yet
            finally:
                conn.close()
        assert statuses == [200] * 120
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert text.count('"GET /healthz HTTP/1.1" 200') == 120, text[-2000:]
    assert text.count("Booting worker") >= 8
