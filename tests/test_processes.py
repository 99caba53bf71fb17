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
