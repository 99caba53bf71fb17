"""Celery application.

With no ``REDIS_URL`` the settings make every task run eagerly in-process, so the
embedded default (SQLite, ``make run``) needs no broker at all.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("wenming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
