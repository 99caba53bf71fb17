"""The submission's CPU (issue 17): the sender's recent entries are read with the ORM's SQL compiled once per
process and shape (suggestions/abuse.py ``recent_rows``), run with each request's values; the same rows as the
queryset gives, and the limits still hold."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from suggestions import abuse
from suggestions.models import Suggestion
from suggestions.privacy import client_hash


@pytest.fixture
def entries(world, submit):
    """Entries of two senders and two mobiles, one of them outside the day, one from the hotline."""
    made = [submit(client_address="203.0.113.1", mobile="13800138000"),
            submit(client_address="203.0.113.1", mobile="13900139000"),
            submit(client_address="203.0.113.2", mobile="13800138000"),
            submit(client_address="203.0.113.3", mobile=""),
            submit(client_address="203.0.113.1", mobile="13800138000", source=Suggestion.Source.HOTLINE,
                   external_id="A-1")]
    old = made[3]
    Suggestion.private_objects.filter(pk=old.pk).update(submitted_at=timezone.now() - datetime.timedelta(hours=25))
    return made


SHAPES = [(client_hash("203.0.113.1"), ""), ("", "13800138000"), (client_hash("203.0.113.1"), "13800138000"),
          (client_hash("203.0.113.3"), ""), (client_hash("198.51.100.9"), "13700137000")]


@pytest.mark.parametrize("sender, mobile", SHAPES)
def test_the_compiled_query_gives_the_querysets_rows(entries, sender, mobile):
    since = timezone.now() - abuse.DAY
    expected = sorted(abuse._recent_entries(sender_hash=sender, mobile=mobile, since=since))
    with CaptureQueriesContext(connection) as ctx:
        rows = abuse.recent_rows(sender_hash=sender, mobile=mobile, since=since)
    assert sorted(rows) == expected and len(ctx) == 1
    assert all(timezone.is_aware(row[0]) for row in rows)
    assert abuse._compiled[(Suggestion.private_objects.db, connection.vendor, (bool(sender), bool(mobile)))]


def test_the_window_is_this_requests(entries):
    sender = client_hash("203.0.113.1")
    now = timezone.now()
    assert len(abuse.recent_rows(sender_hash=sender, mobile="", since=now - abuse.DAY)) == 2
    assert abuse.recent_rows(sender_hash=sender, mobile="", since=now + datetime.timedelta(seconds=1)) == []


def test_the_limits_count_from_the_compiled_rows(world, submit, settings):
    settings.SUGGESTION_RATE_PER_HOUR = 2
    entry = submit(client_address="203.0.113.5")
    assert abuse.Activity(estate=world.estate, sender_hash=entry.client_hash).limited() is None
    submit(client_address="203.0.113.5")
    limited = abuse.Activity(estate=world.estate, sender_hash=entry.client_hash).limited()
    assert limited is not None and limited.minutes == 60


def test_trusted_proxies_follow_the_setting(settings, rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.8")
    settings.SUGGESTION_TRUSTED_PROXIES = ["127.0.0.1"]
    assert abuse.client_address(request) == "10.0.0.5"
    settings.SUGGESTION_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert abuse.client_address(request) == "203.0.113.8"
    settings.SUGGESTION_TRUSTED_PROXIES = ["*"]  # every hop a proxy: none of them is the sender
    assert abuse.client_address(request) == "10.0.0.5"
    settings.SUGGESTION_TRUSTED_PROXIES = ["not an address"]
    assert abuse.client_address(request) == "10.0.0.5"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_payloads_category_is_the_entrys_display(entry, language):
    from django.utils import translation

    from suggestions import messaging

    with translation.override(language):
        assert messaging.payload(entry)["category"] == str(entry.get_category_display())
        entry.category = "no-such-category"  # a value outside the choices is shown as stored, as Django does
        assert messaging.payload(entry)["category"] == str(entry.get_category_display()) == "no-such-category"


@pytest.mark.parametrize("anonymous, counted", [(None, "13800138000"), ("", "13800138000"), ("on", ""),
                                                ("false", "13800138000"), ("0", "13800138000"), ("1", "")])
def test_the_posted_mobile_is_counted_unless_anonymous(anonymous, counted):
    from django.http import QueryDict

    from suggestions.public_views import _posted_mobile

    data = QueryDict(mutable=True)
    data["mobile"] = "138 0013 8000"
    if anonymous is not None:
        data["anonymous"] = anonymous
    assert _posted_mobile(data) == counted
    data["mobile"] = "not a number"
    assert _posted_mobile(data) == ""


def test_each_request_gets_its_own_copy_of_the_kept_estate(world):
    from suggestions.selectors import public

    first = public.estate_for_form(code=world.estate.code)
    first.name = "改过的名字"
    first._state.fields_cache.pop("firm", None)
    second = public.estate_for_form(code=world.estate.code.lower())
    assert second is not first and second.name == world.estate.name and second.pk == world.estate.pk
    assert type(second).firm.is_cached(second) and second.firm.name == world.firm.name
    assert not second._state.adding and second._state.db == "default" and second._state is not first._state
    assert second.__dict__.keys() == first.__dict__.keys()
