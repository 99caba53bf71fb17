"""startproject's settings, DEBUG off, PostgreSQL with persistent connections (as config/settings.py)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("FLOOR_SECRET_KEY", "floor-benchmark-only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The benchmark's client says https as the portal's TLS proxy would (core/benchpages/runner.py).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "core.benchpages.floor.apps.FloorConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "core.benchpages.floor.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "core.benchpages.floor.wsgi.application"

# PostgreSQL, as the portal's production set-up; FLOOR_DB_ENGINE=sqlite3 only lets tests/test_bench_pages.py check
# what the floor serves without a server.
DATABASES = {
    "default": {
        "ENGINE": f"django.db.backends.{os.environ.get('FLOOR_DB_ENGINE', 'postgresql')}",
        "NAME": os.environ.get("FLOOR_DB_NAME", "bench_floor"),
        "USER": os.environ.get("FLOOR_DB_USER", "postgres"),
        "PASSWORD": os.environ.get("FLOOR_DB_PASSWORD", ""),
        "HOST": os.environ.get("FLOOR_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("FLOOR_DB_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = []

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
