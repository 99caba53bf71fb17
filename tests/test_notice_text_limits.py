"""Notice texts are templates staff edit: bounded in size and nesting, previewed within a time limit.

A 700,000-character text kept the preview busy for minutes, and 500 nested {% if %} raised
RecursionError (a 500). Both are refused on the form in Chinese, and a preview that would run
too long stops at the limit with a message instead of holding the request.
"""

import os
import time

import pytest
from django.urls import reverse

from core.timelimit import TimeLimitExceeded, call_with_time_limit
from documents.models import NoticeTemplate
from documents.placeholders import MAX_IF_DEPTH, MAX_TEXT_LENGTH, PlaceholderError, compile_text
from tests.campaign_factories import load_ningbo, publish

NESTED_500 = "{% if campaign.name %}" * 500 + "正文" + "{% endif %}" * 500


@pytest.fixture
def campaign(world):
    campaign = load_ningbo(world.city)
    publish(campaign, user=world.city_user)
    return campaign


def post_text(client, campaign, body, title="{{ estate.name }}倡议书"):
    return client.post(reverse("admin:documents_noticetemplate_add"),
                       {"campaign": campaign.pk, "kind": "open_letter", "title": title, "body": body})


@pytest.mark.parametrize("body, message", [
    ("各位业主：" * 140_000, "文本过长：最多 10,000 个字符，当前 700,000 个字符。"),
    (NESTED_500, "文本过长"),  # 12,500 characters: the size bound comes first
    ("{% if campaign.name %}" * 50 + "正文" + "{% endif %}" * 50, f"嵌套过深：最多嵌套 {MAX_IF_DEPTH} 层"),
    ("{% if " + "not " * 400 + "campaign.name %}正文{% endif %}", "条件过长"),
])
def test_the_form_refuses_an_unbounded_text_in_chinese_and_saves_nothing(world, campaign, client, body, message):
    client.force_login(world.city_user)
    response = post_text(client, campaign, body)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NoticeTemplate.objects.exists()


def test_a_text_at_the_limits_is_accepted():
    nested = "{% if campaign.name %}" * MAX_IF_DEPTH + "正文" + "{% endif %}" * MAX_IF_DEPTH
    body = nested + "各" * (MAX_TEXT_LENGTH - len(nested))
    assert len(body) == MAX_TEXT_LENGTH
    compile_text(body)


def test_deep_nesting_never_reaches_the_recursive_parser():
    # Below the size bound, 20 levels: refused by the token scan, not by a RecursionError.
    with pytest.raises(PlaceholderError, match="嵌套过深"):
        compile_text("{% if today %}" * 20 + "{% endif %}" * 20)


def test_a_long_text_previews_within_the_time_limit(world, campaign, client, settings):
    settings.NOTICE_PREVIEW_TIME_LIMIT = 60
    client.force_login(world.city_user)
    body = ("各位业主：请支持{{ campaign.name }}。\n\n" * 500)[:MAX_TEXT_LENGTH]
    assert post_text(client, campaign, body).status_code == 302
    template = NoticeTemplate.objects.get()
    started = time.monotonic()
    preview = client.get(reverse("admin:documents_noticetemplate_preview", args=[template.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert time.monotonic() - started < 60


def test_a_preview_over_the_time_limit_stops_with_a_message(world, campaign, client, settings):
    client.force_login(world.city_user)
    assert post_text(client, campaign, "各位业主：请支持{{ campaign.name }}。").status_code == 302
    template = NoticeTemplate.objects.get()
    settings.NOTICE_PREVIEW_TIME_LIMIT = 0.001
    url = reverse("admin:documents_noticetemplate_preview", args=[template.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[0][0] == reverse("admin:documents_noticetemplate_change", args=[template.pk])
    assert "预览未能在 0.001 秒内生成" in response.content.decode()


def test_a_text_saved_before_the_limits_gets_a_message_not_a_500(world, campaign, client):
    template = NoticeTemplate.objects.create(campaign=campaign, kind="open_letter", title="倡议书", body=NESTED_500)
    client.force_login(world.city_user)
    response = client.get(reverse("admin:documents_noticetemplate_preview", args=[template.pk]), follow=True)
    assert response.status_code == 200 and "无法预览：文本过长" in response.content.decode()


def _sleep(seconds):
    time.sleep(seconds)
    return "late"


def _pid():
    return os.getpid()


def _fail():
    raise PlaceholderError("子进程中的错误")


def test_the_time_limit_kills_a_call_that_runs_too_long():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        call_with_time_limit(_sleep, 30, seconds=0.5)
    assert time.monotonic() - started < 5


def test_a_time_limited_call_returns_its_result_or_raises_its_error_from_another_process():
    assert call_with_time_limit(_pid, seconds=10) != os.getpid()
    with pytest.raises(PlaceholderError, match="子进程中的错误"):
        call_with_time_limit(_fail, seconds=10)


def test_the_time_limit_works_from_a_request_thread_too():
    """runserver and the embedded server answer requests in threads, where signal.alarm cannot be used."""
    import threading

    outcome = {}

    def request_thread():
        try:
            call_with_time_limit(_sleep, 30, seconds=0.5)
        except TimeLimitExceeded:
            outcome["stopped"] = True
        outcome["result"] = call_with_time_limit(_pid, seconds=10)

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join(20)
    assert outcome.get("stopped") and outcome["result"] != os.getpid()
