"""The settings contract: every setting from the environment, safe production defaults.

Each test imports config/settings.py in a fresh Python process with exactly the environment
it gives (nothing inherited from the shell or CI, no .env file), and reads back values.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DATABASE_URL": "postgres://wenming:pw@db.internal:5432/wenming",
    "SECRET_KEY": "k" * 10 + "production-secret-key-for-the-settings-tests-only",
    "ALLOWED_HOSTS": "wenming.example.gov.cn",
}

READ_SETTINGS = """
import importlib, json, sys
try:
    module = importlib.import_module("config.settings")
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({name: getattr(module, name) for name in sys.argv[1:]}, default=str))
"""


def load(env, *names):
    """Import the settings with `env` as the whole environment; return the named settings or the error."""
    full_env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "PYTHONDONTWRITEBYTECODE": "1", **env}
    result = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS, *names],
        cwd=BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_secret_key_refuses_to_start():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    loaded = load(env, "SECRET_KEY")
    assert loaded["error"] == "ImproperlyConfigured"
    assert "SECRET_KEY" in loaded["message"]


def test_production_with_empty_secret_key_refuses_to_start():
    assert load({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY")["error"] == "ImproperlyConfigured"


def test_embedded_flag_allows_a_database_url_without_secret_key():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    loaded = load({**env, "EMBEDDED": "1"}, "SECRET_KEY", "DATABASES")
    assert loaded["SECRET_KEY"].startswith("embedded-development-only")
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_no_environment_gives_the_embedded_sqlite_default():
    loaded = load({}, "EMBEDDED", "DEBUG", "SECRET_KEY", "DATABASES")
    assert loaded["EMBEDDED"] is True
    assert loaded["DEBUG"] is False
    assert loaded["SECRET_KEY"].startswith("embedded-development-only")
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DATABASES"]["default"]["NAME"] == str(BASE_DIR / "db.sqlite3")


def test_empty_database_url_counts_as_unset():
    loaded = load({"DATABASE_URL": ""}, "EMBEDDED", "DATABASES")
    assert loaded["EMBEDDED"] is True
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"


def test_database_url_configures_postgresql_with_persistent_connections():
    database = load(PRODUCTION, "DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("wenming", "wenming", "pw")
    assert (database["HOST"], database["PORT"]) == ("db.internal", 5432)
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_empty_redis_url_runs_celery_tasks_eagerly_without_broker():
    loaded = load({"REDIS_URL": ""}, "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CACHES", "SESSION_ENGINE")
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["CELERY_BROKER_URL"] .startswith("memory://")
    assert loaded["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    # A per-process cache must not hold sessions: another worker would keep one that logout ended.
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_redis_url_configures_broker_and_cache():
    loaded = load(
        {**PRODUCTION, "REDIS_URL": "redis://redis:6379/3"}, "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "CACHES",
        "SESSION_ENGINE",
    )
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["CELERY_BROKER_URL"] == "redis://redis:6379/3"
    assert loaded["CACHES"]["default"] == {
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": "redis://redis:6379/3",
    }
    # Not cached_db: a Redis outage must not sign everybody out, nor a failed cache delete revive a session.
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_email_settings_come_from_the_environment():
    env = {
        "EMAIL_HOST": "smtp.example.gov.cn",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "wenming@example.gov.cn",
        "EMAIL_HOST_PASSWORD": "mail-secret",
        "EMAIL_USE_TLS": "1",
        "DEFAULT_FROM_EMAIL": "文明物业平台 <wenming@example.gov.cn>",
    }
    names = ["EMAIL_BACKEND", *env]
    loaded = load(env, *names)
    assert loaded == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.gov.cn",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "wenming@example.gov.cn",
        "EMAIL_HOST_PASSWORD": "mail-secret",
        "EMAIL_USE_TLS": True,
        "DEFAULT_FROM_EMAIL": "文明物业平台 <wenming@example.gov.cn>",
    }


def test_without_email_host_mail_goes_to_the_console():
    assert load({}, "EMAIL_BACKEND")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_host_lists_are_comma_separated():
    loaded = load(
        {**PRODUCTION, "ALLOWED_HOSTS": "a.example.cn,localhost", "CSRF_TRUSTED_ORIGINS": "https://a.example.cn"},
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
    )
    assert loaded == {"ALLOWED_HOSTS": ["a.example.cn", "localhost"], "CSRF_TRUSTED_ORIGINS": ["https://a.example.cn"]}


def test_production_defaults_are_secure():
    names = ["DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]
    loaded = load(PRODUCTION, *names, "STORAGES")
    assert loaded.pop("STORAGES")["staticfiles"]["BACKEND"] == "core.storage.ManifestStaticFilesStorage"
    assert loaded == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
    }


def test_debug_turns_off_the_https_requirements():
    loaded = load({"DEBUG": "1"}, "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    assert loaded == {"DEBUG": True, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False,
                      "SECURE_HSTS_SECONDS": 0}


def test_secret_key_file_wins_and_its_final_newline_is_dropped(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-docker-secret-file-" + "x" * 40 + "\n", encoding="utf-8")
    loaded = load({**PRODUCTION, "SECRET_KEY_FILE": str(secret)}, "SECRET_KEY")
    assert loaded["SECRET_KEY"] == "from-a-docker-secret-file-" + "x" * 40


def test_database_url_file_is_read(tmp_path):
    url_file = tmp_path / "database_url"
    url_file.write_text("postgres://u:from-file@db:5432/wenming\n", encoding="utf-8")
    database = load({**PRODUCTION, "DATABASE_URL_FILE": str(url_file)}, "DATABASES")["DATABASES"]["default"]
    assert database["PASSWORD"] == "from-file"


def test_missing_secret_file_refuses_to_start(tmp_path):
    loaded = load({**PRODUCTION, "SECRET_KEY_FILE": str(tmp_path / "absent")}, "SECRET_KEY")
    assert loaded["error"] == "ImproperlyConfigured"
    assert "SECRET_KEY_FILE" in loaded["message"]


def test_env_file_fills_in_but_the_environment_wins(tmp_path):
    env_file = tmp_path / "portal.env"
    env_file.write_text("SITE_URL=https://from-file.example.cn\nALLOWED_HOSTS=from-file.example.cn\n", encoding="utf-8")
    loaded = load({"ENV_FILE": str(env_file), "ALLOWED_HOSTS": "from-env.example.cn"}, "SITE_URL", "ALLOWED_HOSTS")
    assert loaded == {"SITE_URL": "https://from-file.example.cn", "ALLOWED_HOSTS": ["from-env.example.cn"]}


@pytest.mark.parametrize("name", ["REDIS_URL", "EMAIL_HOST_PASSWORD"])
def test_other_secrets_can_come_from_files(tmp_path, name):
    path = tmp_path / name.lower()
    path.write_text("redis://secret-host:6379/0\n", encoding="utf-8")
    assert load({**PRODUCTION, f"{name}_FILE": str(path)}, name)[name] == "redis://secret-host:6379/0"


def test_production_settings_pass_the_deploy_check_without_warnings():
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", **PRODUCTION, "REDIS_URL": "redis://redis:6379/0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("on", True), ("0", False), ("off", False)])
def test_yes_no_settings_accept_the_usual_spellings(raw, expected):
    assert load({**PRODUCTION, "EMAIL_USE_TLS": raw}, "EMAIL_USE_TLS")["EMAIL_USE_TLS"] is expected


def test_a_misspelt_yes_no_setting_refuses_to_start():
    loaded = load({**PRODUCTION, "SESSION_COOKIE_SECURE": "ture"}, "SESSION_COOKIE_SECURE")
    assert loaded["error"] == "ImproperlyConfigured"
    assert "SESSION_COOKIE_SECURE" in loaded["message"]


def test_an_empty_yes_no_setting_means_its_default():
    assert load({**PRODUCTION, "SESSION_COOKIE_SECURE": ""}, "SESSION_COOKIE_SECURE")["SESSION_COOKIE_SECURE"] is True


def test_the_embedded_site_url_follows_the_served_port():
    # `PORT=8811 make run` serves on 8811: QR codes and email links must point there, not to 8000.
    assert load({"EMBEDDED": "1", "PORT": "8811"}, "SITE_URL")["SITE_URL"] == "http://127.0.0.1:8811"
    assert load({"EMBEDDED": "1"}, "SITE_URL")["SITE_URL"] == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    loaded = load({"EMBEDDED": "1", "PORT": "8811", "SITE_URL": "https://wenming.example.gov.cn/"}, "SITE_URL")
    assert loaded["SITE_URL"] == "https://wenming.example.gov.cn"


@pytest.mark.parametrize(("port", "expected"), [(None, "8000"), ("8811", "8811")])
def test_make_exports_the_port_to_the_settings(port, expected):
    # The Makefile must hand PORT to manage.py (settings derive SITE_URL from it), default included.
    env = {"PATH": "/usr/bin:/bin", **({"PORT": port} if port else {})}
    result = subprocess.run(["make", "-s", "-f", "Makefile", "-f", "-", "print-port"], cwd=BASE_DIR, env=env,
                            input="print-port:\n\t@echo $$PORT\n", capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == expected, result.stdout + result.stderr


def test_without_a_broker_long_jobs_run_in_a_thread_and_with_one_on_the_workers():
    assert load({"EMBEDDED": "1"}, "JOBS_IN_THREADS")["JOBS_IN_THREADS"] is True
    assert load({**PRODUCTION, "REDIS_URL": "redis://redis:6379/0"}, "JOBS_IN_THREADS")["JOBS_IN_THREADS"] is False
