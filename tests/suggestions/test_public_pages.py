"""The estate search (e/find/), the large-text switch, and nothing lost when Redis or SMTP is down."""

import smtplib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu.exceptions import OperationalError

from notifications import outbox, tasks
from notifications.models import OutboxMessage
from suggestions import messaging
from suggestions.models import Suggestion
from tests import factories as f

FIND = reverse("suggestions:find")


# --- the estate search --------------------------------------------------------------------------------

def find(client, q, **extra):
    return client.get(FIND, {"q": q, **extra}).content.decode()


def test_without_a_word_nothing_is_listed(client, world):
    body = find(client, "")
    assert 'class="sugg-results"' not in body and "没有找到小区" not in body


@pytest.mark.parametrize("word", ["月湖花园", "月湖", "月湖街道", "hs001"])
def test_estates_are_found_by_name_street_or_code(client, world, word):
    body = find(client, word)
    assert "月湖花园" in body
    assert reverse("suggestions:suggest", args=["HS001"]) in body
    assert reverse("public:estate", args=["HS001"]) in body


def test_estates_are_found_by_address_and_several_words_narrow_it(client, world):
    world.estate.address = "海曙区镇明路 88 号"
    world.estate.save()
    assert "月湖花园" in find(client, "镇明路")
    assert "月湖花园" in find(client, "镇明路 月湖")
    assert "没有找到小区" in find(client, "镇明路 孔浦")


def test_inactive_estates_are_not_found(client, world):
    world.estate.is_active = False
    world.estate.save()
    body = find(client, "月湖花园")
    assert 'class="sugg-results"' not in body and "没有找到小区" in body


def test_only_public_facts_are_listed(client, world):
    world.estate.households = 4321
    world.estate.save()
    body = find(client, "月湖")
    assert "4321" not in body


def test_results_are_paginated_with_a_constant_number_of_queries(client, world):
    for n in range(25):
        f.EstateFactory(code=f"YH{n:03d}", name=f"月湖新苑{n:02d}", street=world.street, firm=world.firm)
    with CaptureQueriesContext(connection) as first:
        page1 = find(client, "月湖新苑")
    page2 = find(client, "月湖新苑", page=2)
    assert "找到 25 个小区" in page1 and "下一页" in page1
    assert page1.count('class="btn btn-outline-primary mt-1"') == 20
    assert page2.count('class="btn btn-outline-primary mt-1"') == 5
    with CaptureQueriesContext(connection) as later:
        find(client, "月湖新苑", page=2)
    assert len(first) == len(later) <= 3


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999"])
def test_odd_page_numbers_are_no_error(client, world, page):
    assert client.get(FIND, {"q": "月湖", "page": page}).status_code == 200


def test_a_very_long_query_is_cut(client, world):
    assert client.get(FIND, {"q": "月" * 5000}).status_code == 200


def test_public_pages_link_to_the_search(client, world):
    assert FIND in client.get(reverse("public:estate", args=["HS001"])).content.decode()


# --- large text ---------------------------------------------------------------------------------------

def test_the_switch_keeps_large_text_in_a_cookie_and_goes_back(client, world):
    estate_page = reverse("public:estate", args=["HS001"])
    response = client.get(reverse("suggestions:text_size"), {"large": "1", "next": estate_page})
    assert response.status_code == 302 and response["Location"] == estate_page
    assert response.cookies["public_large"].value == "1"
    body = client.get(estate_page).content.decode()
    assert '<body class="public public-large">' in body
    assert 'id="text-size-toggle" aria-pressed="true"' in body
    for page in (reverse("suggestions:suggest", args=["HS001"]), FIND):
        assert "public-large" in client.get(page).content.decode()
    client.get(reverse("suggestions:text_size"), {"large": "0", "next": estate_page})
    assert '<body class="public">' in client.get(estate_page).content.decode()


def test_every_public_page_has_the_switch_as_a_form_without_script(client, entry):
    for page in (reverse("public:estate", args=["HS001"]), reverse("suggestions:suggest", args=["HS001"]), FIND,
                 reverse("suggestions:track", args=[entry.token])):
        body = client.get(page).content.decode()
        assert f'action="{reverse("suggestions:text_size")}"' in body, page
        assert 'id="text-size-toggle"' in body and f'name="next" value="{page}"' in body


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_the_switch_never_sends_anyone_elsewhere(client, target):
    response = client.get(reverse("suggestions:text_size"), {"large": "1", "next": target})
    assert response["Location"] == FIND


# --- nothing lost ---------------------------------------------------------------------------------------

@pytest.fixture
def broker_down(monkeypatch):
    """Redis unreachable: queuing any task fails (as kombu does when the broker is gone)."""
    monkeypatch.setitem(tasks.send_batch.app.conf, "task_always_eager", False)

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    for task in (tasks.send_queued, tasks.send_batch):
        monkeypatch.setattr(task, "delay", refuse)


@pytest.fixture
def smtp_down(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPConnectError(421, "mail server down")

    monkeypatch.setattr("django.core.mail.backends.smtp.EmailBackend.open", refuse)


FORM = {"category": "safety", "text": "地下车库的监控坏了，晚上停车有点害怕。", "mobile": "13900139000",
        "consent_contact": "on"}


@pytest.mark.parametrize("outage", ["broker_down", "smtp_down"])
def test_with_redis_or_smtp_down_the_entry_its_messages_and_the_receipt_are_there(
        client, world, outage, request, monkeypatch, django_capture_on_commit_callbacks):
    request.getfixturevalue(outage)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("suggestions:suggest", args=["HS001"]), FORM)
    assert callbacks, "sending was queued after commit"
    entry = Suggestion.private_objects.get()
    assert response.status_code == 302
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200 and entry.number in receipt.content.decode()
    rows = OutboxMessage.objects.filter(key=str(entry.pk))
    assert rows.filter(kind=messaging.RECEIVED).count() == 1  # the firm's message, stored to be sent later
    assert OutboxMessage.objects.filter(kind=messaging.RESIDENT_UPDATE).count() == 1
    # Stored, not sent: never claimed (broker down: the request claims nothing, the task that would was not
    # queued) or marked failed for the retry (SMTP down); the hourly flush sends them once the outage is over.
    assert not rows.filter(state=OutboxMessage.State.SENT).exists()
    if outage == "broker_down":
        assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxMessage.State.PENDING}
        monkeypatch.undo()  # the broker is back
        assert outbox.flush().claimed == 2  # the hourly flush takes them
        assert rows.get(kind=messaging.RECEIVED).state == OutboxMessage.State.SENT
    else:  # the send was tried in process (no broker) and failed: kept for the retry
        firm_row = rows.get(kind=messaging.RECEIVED)
        assert firm_row.state == OutboxMessage.State.FAILED and "mail server down" in firm_row.last_error


# --- the page benchmark's entries -----------------------------------------------------------------------

def test_the_benchmarked_public_pages_open_after_their_seed(client, world):
    from types import SimpleNamespace

    from core.benchpages import registry
    from suggestions.bench_pages import seed_public_entry

    ctx = SimpleNamespace(users={"firm": world.firm_user})
    pages = {name: page for name, page in registry.pages().items()
             if name in ("public.suggestion_form", "public.suggestion_track", "public.estate_find")}
    assert len(pages) == 3
    seed_public_entry(ctx)
    seed_public_entry(ctx)  # twice: still one entry
    assert Suggestion.private_objects.count() == 1
    for page in pages.values():
        response = client.get(page.url(ctx))
        assert response.status_code == 200, page.name
    assert "月湖花园" in client.get(pages["public.estate_find"].url(ctx)).content.decode()
