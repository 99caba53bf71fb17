"""The throwaway databases and the two gunicorn servers of a page benchmark.

The portal runs from this repository with its production settings (config/settings.py, DEBUG off, the
``DATABASE_URL`` of the throwaway database, CONN_MAX_AGE=60, static files collected into a temporary
STATIC_ROOT for the manifest storage) under config/gunicorn.py; the floor project (core/benchpages/floor/)
runs under the same config/gunicorn.py, same workers, its own throwaway database. Both bind to loopback on a
free port; their access logs go to files in the run's temporary folder.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .runner import Target, fetch

HOST = "127.0.0.1"
# What config/settings.py uses with DEBUG and EMBEDDED off; collectstatic runs embedded (no database), so it is named.
MANIFEST_STORAGE = "core.storage.ManifestStaticFilesStorage"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def database_url(settings_dict, name):
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{name}"


@contextmanager
def throwaway_portal_database(stdout, prefix="bench_pages"):
    """A new PostgreSQL database next to the configured one, migrated, dropped at the end (as
    documents/management/commands/_bench.py does for the other benchmarks)."""
    test_settings = connection.settings_dict.setdefault("TEST", {})
    test_settings["NAME"] = f"{prefix}_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    stdout.write(f"portal database: {connection.settings_dict['NAME']} (throwaway, migrated)")
    try:
        yield connection.settings_dict["NAME"]
    finally:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{connection.settings_dict["NAME"]}" WITH (FORCE)')
        connection.settings_dict["NAME"] = old_name


@contextmanager
def throwaway_floor_database(stdout, *, rows, prefix="bench_floor"):
    """A new PostgreSQL database for the floor project, migrated and given ``rows`` items and a superuser
    (in a subprocess: it is another Django project). Yields (env for its server, cookies of the superuser)."""
    name = f"{prefix}_{os.getpid()}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    sd = connection.settings_dict
    env = {
        "DJANGO_SETTINGS_MODULE": "core.benchpages.floor.settings", "FLOOR_DB_NAME": name,
        "FLOOR_DB_USER": sd.get("USER") or "", "FLOOR_DB_PASSWORD": sd.get("PASSWORD") or "",
        "FLOOR_DB_HOST": sd.get("HOST") or "127.0.0.1", "FLOOR_DB_PORT": str(sd.get("PORT") or "5432"),
        "FLOOR_SECRET_KEY": os.urandom(24).hex(),
    }
    try:
        out = subprocess.run([sys.executable, "-m", "core.benchpages.floor.seed", str(rows)], env=_env(env),
                             cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        stdout.write(f"floor database: {name} (throwaway, {seeded['rows']:,} rows)")
        yield env, seeded["cookies"]
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER"}}
    env.update(extra)
    return env


def collect_static(stdout, directory):
    """collectstatic into ``directory`` with the production storage (whitenoise's compressed manifest)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   env=_env({"STATIC_ROOT": str(directory), "DEBUG": "0", "EMBEDDED": "1", "DATABASE_URL": "",
                             "ENV_FILE": "/dev/null", "STATICFILES_BACKEND": MANIFEST_STORAGE}),
                   cwd=settings.BASE_DIR, check=True, capture_output=True)
    stdout.write(f"static files collected in {time.perf_counter() - t0:.0f} s ({directory})")


class Server:
    """A gunicorn under config/gunicorn.py serving ``app`` with ``env``; stopped by :meth:`stop`."""

    def __init__(self, *, name, app, env, workers, logdir):
        self.name, self.port = name, free_port()
        self.log_path = Path(logdir) / f"{name}.log"
        self.env = _env({**env, "BIND_ADDRESS": HOST, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
                         "GUNICORN_LOG_LEVEL": "info"})
        self.command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", app]
        self.process = None

    def start(self, probe="/healthz", timeout=60):
        log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(self.command, env=self.env, cwd=settings.BASE_DIR, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited ({self.process.returncode}): {self.tail()}")
            sample, _body, _c = fetch(Target(host=HOST, port=self.port, path=probe), timeout=5)
            if sample.status:
                return self
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} server did not answer within {timeout} s: {self.tail()}")

    def logged(self, path):
        """How many requests of ``path`` the server's access log holds (what a load test counts against:
        ../shared/FLOORS.md)."""
        needle = f'"GET {path} HTTP/'
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return sum(1 for line in log if needle in line)
        except OSError:
            return 0

    def restarts(self):
        """Workers booted so far (config/gunicorn.py recycles a worker after max_requests, as in production):
        a restart in the middle of a page's slices leaves its clients one worker for the seconds Django takes to
        start, which shows in that page's tail, not in its code."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return sum(1 for line in log if "Booting worker with pid" in line)
        except OSError:
            return 0

    def tail(self, lines=20):
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@contextmanager
def workdir(keep=False):
    path = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def throwaway_redis(stdout):
    """A redis-server of our own on a free loopback port, in memory only; stopped at the end."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", HOST, "--save", "",
                                "--appendonly", "no", "--protected-mode", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() \
                    == "PONG":
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("redis-server did not start")
        stdout.write(f"redis: 127.0.0.1:{port} (throwaway, in memory)")
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
