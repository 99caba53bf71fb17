"""Fixtures of the suggestion box tests: an entry of the shared ``world`` (conftest.py)."""

import datetime

import pytest
from django.utils import timezone

from suggestions import services
from suggestions.models import Category

TEXT = "小区东门的路灯坏了三天，晚上回家很不安全。"


def at(day, hour=10):
    """An aware datetime in Asia/Shanghai."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def submit(world, django_capture_on_commit_callbacks):
    def _submit(estate=None, **kwargs):
        values = {"estate": estate or world.estate, "category": Category.FACILITIES, "text": TEXT,
                  "mobile": "13800138000", "consent_contact": True, "name": "王阿姨",
                  "client_address": "203.0.113.7", **kwargs}
        # Committed, as the request that files it commits: what waits for the commit (the kept lists forgotten,
        # the outbox's hand-over) runs, as it would outside the test's own transaction.
        with django_capture_on_commit_callbacks(execute=True):
            return services.suggestion_submit(**values)

    return _submit


@pytest.fixture
def entry(submit):
    return submit()
