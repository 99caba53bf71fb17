"""Settings for the civilized property management portal.

Everything an operator may want to change comes from the environment, under Django's
own names where Django has one (DATABASE_URL, REDIS_URL, SECRET_KEY, EMAIL_HOST...).
The defaults give the embedded set-up: SQLite in the project folder, no broker
(Celery tasks run in-process), mail printed to the console.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


class StrictEnv(environ.Env):
    """A boolean must read 1/0, true/false, yes/no or on/off: a typo such as SESSION_COOKIE_SECURE=ture stops
    start-up instead of silently meaning False. Empty means the default."""

    FALSE_STRINGS = ("false", "off", "n", "no", "0")

    def bool(self, var, default=environ.Env.NOTSET):
        value = self.str(var, default="").strip().lower()
        if not value:
            return super().bool(var, default=default) if default is environ.Env.NOTSET else default
        if value in self.BOOLEAN_TRUE_STRINGS:
            return True
        if value in self.FALSE_STRINGS:
            return False
        raise ImproperlyConfigured(f"{var}={value!r} is not a yes/no value: use 1 or 0.")


env = StrictEnv()
# Variables already in the environment win over the file; ENV_FILE points elsewhere (tests use /dev/null).
env_file = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
if env_file.is_file():
    environ.Env.read_env(env_file)
# Secrets may come from files (Docker/Kubernetes secrets): SECRET_KEY_FILE=/run/secrets/key
# wins over SECRET_KEY. Surrounding whitespace, such as the final newline, is dropped.
for _name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST_PASSWORD"):
    if os.environ.get(f"{_name}_FILE"):
        try:
            os.environ[_name] = Path(os.environ[f"{_name}_FILE"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{_name}_FILE: cannot read {os.environ[f'{_name}_FILE']}: {exc}") from exc

DEBUG = env.bool("DEBUG", default=False)
# An empty DATABASE_URL counts as unset: the embedded SQLite file.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# The embedded default is what runs without DATABASE_URL: SQLite, no broker, console mail.
EMBEDDED = env.bool("EMBEDDED", default=not env.str("DATABASE_URL", default=""))
# A missing secret must stop a production start (anything not EMBEDDED); the embedded
# default gets a development-only key so that `make run` works without configuration.
if EMBEDDED:
    SECRET_KEY = env.str("SECRET_KEY", default="") or "embedded-development-only-key-do-not-use-in-production"
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set in production (set EMBEDDED=1 for a local run)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.apps.PortalAdminConfig",  # django.contrib.admin with the bureau landing page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_celery_beat",
    "csp",
    "core.apps.AxesConfig",  # axes, named in Chinese
    "core",
    "accounts",
    "estates",
    "campaigns",
    "notifications",
    "documents",
    "suggestions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.BadParameterMiddleware",  # 400, not 500, for parameters no view can use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.error_pages.PortalNotFoundMiddleware",  # a view's 404 shows templates/404.html under DEBUG too
]

# Content-Security-Policy (django-csp) on every page: portal, public pages and admin alike. Scripts come
# only from our own origin: no inline <script>, no onclick=, no eval (Chart.js and the Django admin's
# widgets need none). The templates wire behaviour through static/js/ and data attributes; the one
# third-party inline script (django-celery-beat's task form) is overridden under templates/admin/djcelery/.
# style-src keeps 'unsafe-inline': style attributes carry computed values (progress-bar widths),
# and Django's admin and crispy-forms write style attributes of their own; an inline style cannot
# run code, and CSS exfiltration needs markup we never let through unescaped.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF, csp_constants.UNSAFE_INLINE],
        "img-src": [csp_constants.SELF, "data:", "blob:"],
        "font-src": [csp_constants.SELF, "data:"],
        "connect-src": [csp_constants.SELF],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
                "notifications.context_processors.unread",
                "campaigns.context_processors.portal",
            ],
            # {% url %} with a constant name and no arguments, reversed once a process: core/templatetags/memo_urls.py
            "builtins": ["core.templatetags.memo_urls"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the Celery worker and the web process share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # Persistent connections are worth 2.5x on pages and 5x on posts (shared/FLOORS.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend loading the user's firm and agency in the same query (accounts/backends.py).
    "accounts.backends.UserBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute-force protection of the login forms: lock a username+IP after repeated failures.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our format overrides (config/formats/<locale>/formats.py): date inputs render ISO in every language.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or EMBEDDED
            else "core.storage.ManifestStaticFilesStorage",  # whitenoise's, each URL computed once
        )
    },
}
# The embedded set-up serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG or EMBEDDED
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Upload limits used by the forms (bytes).
MAX_IMPORT_UPLOAD_SIZE = env.int("MAX_IMPORT_UPLOAD_SIZE", default=10 * 1024 * 1024)
# Excel imports with more data rows than this run as a long job with a progress bar (core/xlsx/import_job.py):
# about 10 s of work in the request at most.
XLSX_IMPORT_JOB_ROWS = env.int("XLSX_IMPORT_JOB_ROWS", default=2000)
# Seconds the admin preview of a notice text may spend laying out its PDF (documents.services).
NOTICE_PREVIEW_TIME_LIMIT = env.float("NOTICE_PREVIEW_TIME_LIMIT", default=15)
MAX_EVIDENCE_UPLOAD_SIZE = env.int("MAX_EVIDENCE_UPLOAD_SIZE", default=10 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Redis / Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # eager; a hostname keeps kombu quiet
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Without a broker, long jobs (core/jobs.py) run in a background thread of the web process rather than
# eagerly inside the request, so their progress page appears at once. Tests set it off (conftest.py).
JOBS_IN_THREADS = env.bool("JOBS_IN_THREADS", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A queue of one's own lets a test or a staging worker share a Redis with others without stealing tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {}  # filled by the apps that own periodic work (see campaigns/notifications)
# Generated files (PDF batches, exports) are deleted once expired (core/jobs.py).
CELERY_BEAT_SCHEDULE["core-cleanup-expired-jobs"] = {"task": "core.cleanup_expired_jobs", "schedule": 3600.0}
# Reminders (notifications/): the daily sweep, the Friday overdue digest, an hourly retry of failed sends.
CELERY_BEAT_SCHEDULE["notifications-daily-sweep"] = {
    "task": "notifications.sweep_reminders", "schedule": crontab(hour=8, minute=30),
}
CELERY_BEAT_SCHEDULE["notifications-weekly-digest"] = {
    "task": "notifications.sweep_digest", "schedule": crontab(
        hour=16, minute=0, day_of_week=(env.int("REMINDER_DIGEST_WEEKDAY", default=4) + 1) % 7  # cron: Sunday=0
    ),
}
CELERY_BEAT_SCHEDULE["notifications-hourly-flush"] = {"task": "notifications.flush", "schedule": crontab(minute=15)}
# The suggestion box (suggestions/sweeps.py): late entries reminded and escalated before the working day starts,
# and the retention job erasing old personal data at night.
CELERY_BEAT_SCHEDULE["suggestions-daily-overdue"] = {
    "task": "suggestions.sweep_overdue", "schedule": crontab(hour=8, minute=0),
}
CELERY_BEAT_SCHEDULE["suggestions-daily-retention"] = {
    "task": "suggestions.erase_personal_data", "schedule": crontab(hour=3, minute=30),
}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}  # one client per pool
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the database only. Not cached_db: with Redis down every signed-in page would fail (the cache is
# otherwise optional: core/cache.py treats a failing cache as a miss), and a logout whose cache delete failed
# would leave the session alive in Redis when it came back; with the per-process cache of the embedded mode,
# another worker would keep a session ended at logout.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Email ----------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="文明物业平台 <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Absolute address of the portal, used in emails, QR codes and printed notices. Unset, it is the
# address `make run` serves (the Makefile exports PORT): `PORT=8811 make run` must not print QR codes
# and email links to port 8000.
PORT = env.int("PORT", default=8000)
SITE_URL = (env.str("SITE_URL", default="") or f"http://127.0.0.1:{PORT}").rstrip("/")

# --- Domain ---------------------------------------------------------------------------
# Estates built before this year count as old estates (老小区).
OLD_ESTATE_BEFORE_YEAR = env.int("OLD_ESTATE_BEFORE_YEAR", default=1999)
# Generated files (PDF batches, exports) are deleted after this many hours.
JOB_FILE_TTL_HOURS = env.int("JOB_FILE_TTL_HOURS", default=72)
# Reminders (notifications/services.py): a claimed batch is taken again after the lease; failed sends
# are retried by the Celery task with backoff (seconds, doubled each time) and then by the next sweep.
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=600)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=100)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=8)
REMINDER_RETRY_BACKOFF = env.int("REMINDER_RETRY_BACKOFF", default=60)
REMINDER_OVERDUE_HORIZON_DAYS = env.int("REMINDER_OVERDUE_HORIZON_DAYS", default=120)
# The weekday the sweep command also sends the overdue digest (Python: Monday=0 ... Friday=4).
REMINDER_DIGEST_WEEKDAY = env.int("REMINDER_DIGEST_WEEKDAY", default=4)
# The online suggestion box (suggestions/): deadlines in working days (a district or a campaign may set its
# own in the admin), the limits against floods, and how long personal data of finished entries is kept (PIPL).
SUGGESTION_ACKNOWLEDGE_WORKDAYS = env.int("SUGGESTION_ACKNOWLEDGE_WORKDAYS", default=1)
SUGGESTION_ANSWER_WORKDAYS = env.int("SUGGESTION_ANSWER_WORKDAYS", default=2)
SUGGESTION_RATE_PER_HOUR = env.int("SUGGESTION_RATE_PER_HOUR", default=5)  # per sender and estate
SUGGESTION_RATE_PER_DAY = env.int("SUGGESTION_RATE_PER_DAY", default=20)  # per sender (and per mobile)
SUGGESTION_RETENTION_DAYS = env.int("SUGGESTION_RETENTION_DAYS", default=730)
SUGGESTION_PHOTO_MAX_BYTES = env.int("SUGGESTION_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# The public league table: a firm is ranked with at least this many entries in the period; its figures are
# cached this long (the page says they may lag by that much).
SUGGESTION_LEAGUE_MIN_ENTRIES = env.int("SUGGESTION_LEAGUE_MIN_ENTRIES", default=5)
SUGGESTION_LEAGUE_CACHE_SECONDS = env.int("SUGGESTION_LEAGUE_CACHE_SECONDS", default=300)
# From this entry of one sender within an hour on, the form asks for a proof of work (suggestions/abuse.py).
SUGGESTION_CHALLENGE_AFTER = env.int("SUGGESTION_CHALLENGE_AFTER", default=3)
# Proxies whose X-Forwarded-For names the sender (for the rate limits): the ones gunicorn trusts.
SUGGESTION_TRUSTED_PROXIES = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
SUGGESTION_API_RATE_PER_MINUTE = env.int("SUGGESTION_API_RATE_PER_MINUTE", default=300)  # per hotline client; 0: off

# --- Security -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and container healthchecks probe over plain HTTP, behind the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

ADMIN_SITE_HEADER = _("文明物业创建活动管理平台")
