"""The floor of ``bench_suggestions``: core/benchpages/floor (startproject's settings, DEBUG off, PostgreSQL with
CONN_MAX_AGE=60, its ``Item`` model) with one more page, a bare Django form that creates one row
(floor_urls.py). Imports nothing of the portal."""

from core.benchpages.floor.settings import *  # noqa: F403

ROOT_URLCONF = "suggestions.benchload.floor_urls"
