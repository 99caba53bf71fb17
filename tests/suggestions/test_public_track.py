"""The resident's private tracking page (e/track/<token>/): only the token opens it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from suggestions import photos, services
from suggestions.models import Suggestion, SuggestionEvent


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def prepared(color=(10, 200, 10)):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "PNG")
    return photos.prepare(SimpleUploadedFile("p.png", buffer.getvalue()))


def track(entry, **query):
    url = reverse("suggestions:track", args=[entry.token])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def answered(entry, world, *, resolve=True):
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排电工明天上午更换灯泡。",
                              photos=[prepared((200, 200, 0))])
    if resolve:
        services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="灯已修好，请查看。")
    return Suggestion.private_objects.get(pk=entry.pk)


def test_the_token_opens_the_page_and_a_wrong_token_is_404(client, entry):
    assert client.get(track(entry)).status_code == 200
    assert client.get(reverse("suggestions:track", args=["x" * 43])).status_code == 404
    assert client.get(reverse("suggestions:track", args=[entry.token[:-1]])).status_code == 404
    assert client.get(reverse("suggestions:track", args=[entry.token + "x"])).status_code == 404


def test_the_tracking_number_alone_reveals_nothing(client, entry):
    assert client.get(reverse("suggestions:track", args=[entry.number])).status_code == 404
    assert client.get(reverse("suggestions:track", args=[str(entry.pk)])).status_code == 404


def test_the_page_is_private_uncached_unindexed_and_sends_no_referrer_elsewhere(client, entry):
    response = client.get(track(entry))
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"  # no-referrer would make its own forms' Origin null
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_the_receipt_banner_shows_after_submitting(client, entry):
    body = client.get(track(entry, new=1)).content.decode()
    assert "提交成功" in body and f'id="tracking-number">{entry.number}<' in body
    assert f"http://testserver{reverse('suggestions:track', args=[entry.token])}" in body
    assert "提交成功" not in client.get(track(entry)).content.decode()


def test_only_a_masked_mobile_is_shown(client, entry):
    body = client.get(track(entry)).content.decode()
    assert "138****8000" in body and "13800138000" not in body


def test_the_history_shows_public_events_and_the_firms_replies_with_photos(client, world, entry):
    entry = answered(entry, world)
    services.suggestion_redact(suggestion=entry, user=world.district_user, text="小区东门的路灯坏了三天。")
    body = client.get(track(entry)).content.decode()
    assert "已安排电工明天上午更换灯泡。" in body and "灯已修好，请查看。" in body
    assert "隐去个人信息" not in body  # a moderation event is not public
    assert "小区东门的路灯坏了三天。" in body and "晚上回家很不安全" not in body  # the redacted text
    reply_photo = entry.photos.get(event__kind=SuggestionEvent.Kind.REPLY)
    assert reverse("suggestions:track_photo_thumb", args=[entry.token, reply_photo.pk]) in body
    assert world.firm_user.username not in body  # staff are not named


def test_a_hidden_entry_still_shows_to_its_resident_with_a_note(client, world, entry):
    services.suggestion_hide(suggestion=entry, user=world.district_user, reason="辱骂")
    body = client.get(track(entry)).content.decode()
    assert "已被管理部门屏蔽" in body
    assert "辱骂" not in body  # the moderator's reason is not public


def test_deadlines_are_shown_while_open(client, entry):
    body = client.get(track(entry)).content.decode()
    assert entry.acknowledge_due.isoformat() in body and entry.answer_due.isoformat() in body


# --- photos under the token ---------------------------------------------------------------------------

def test_photos_are_served_only_under_their_entrys_token(client, submit):
    entry = submit(photos=[prepared()])
    other = submit(text="另一位居民的意见，内容足够长。")
    photo = entry.photos.get()
    response = client.get(reverse("suggestions:track_photo", args=[entry.token, photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store" and response["Referrer-Policy"] == "no-referrer"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    assert client.get(reverse("suggestions:track_photo_thumb", args=[entry.token, photo.pk])).status_code == 200
    assert client.get(reverse("suggestions:track_photo", args=[other.token, photo.pk])).status_code == 404
    assert client.get(reverse("suggestions:track_photo", args=["y" * 43, photo.pk])).status_code == 404


def test_media_is_not_served_by_url(client, submit):
    photo = submit(photos=[prepared()]).photos.get()
    assert client.get("/media/" + photo.image.name).status_code == 404


# --- the resident's steps ---------------------------------------------------------------------------

def test_a_follow_up_is_added_to_an_open_entry(client, entry):
    response = client.post(track(entry), {"action": "follow_up", "text": "今晚又黑了一整夜。"})
    assert response.status_code == 302 and response["Location"].endswith("?done=follow_up")
    assert entry.events.filter(kind=SuggestionEvent.Kind.FOLLOW_UP, text="今晚又黑了一整夜。").exists()
    assert "补充内容已提交" in client.get(response["Location"]).content.decode()


def test_an_empty_follow_up_is_an_error_in_words(client, entry):
    response = client.post(track(entry), {"action": "follow_up", "text": " "})
    assert response.status_code == 400 and "请填写内容" in response.content.decode()
    assert not entry.events.filter(kind=SuggestionEvent.Kind.FOLLOW_UP).exists()


def test_no_follow_up_once_finished(client, world, entry):
    entry = answered(entry, world)
    body = client.get(track(entry)).content.decode()
    assert 'value="follow_up"' not in body
    response = client.post(track(entry), {"action": "follow_up", "text": "还想补充一句话。"})
    assert response.status_code == 400 and "该意见已办结" in response.content.decode()


def test_the_resident_rates_a_finished_answered_entry(client, world, entry):
    entry = answered(entry, world)
    assert 'value="rate"' in client.get(track(entry)).content.decode()
    response = client.post(track(entry), {"action": "rate", "rating": "4", "comment": "修得挺快"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.rating, entry.rating_comment) == (4, "修得挺快")
    assert "您的评价：4 分" in client.get(track(entry)).content.decode()


@pytest.mark.parametrize("rating", ["", "0", "6", "abc"])
def test_a_bad_rating_is_refused(client, world, entry, rating):
    entry = answered(entry, world)
    response = client.post(track(entry), {"action": "rate", "rating": rating})
    assert response.status_code == 400 and "请选择 1 到 5 分" in response.content.decode()
    entry.refresh_from_db()
    assert entry.rating is None


def test_an_open_entry_cannot_be_rated(client, entry):
    assert 'value="rate"' not in client.get(track(entry)).content.decode()
    response = client.post(track(entry), {"action": "rate", "rating": "5"})
    assert response.status_code == 400 and "意见办结后才能评价" in response.content.decode()


def test_the_resident_reopens_once_with_a_reason(client, world, entry):
    entry = answered(entry, world)
    response = client.post(track(entry), {"action": "reopen", "text": "灯还是不亮。"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.state, entry.reopen_count) == (Suggestion.State.IN_PROGRESS, 1)
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="这次换了整套灯具。")
    body = client.get(track(entry)).content.decode()
    assert 'value="reopen"' not in body  # once only
    response = client.post(track(entry), {"action": "reopen", "text": "还是不行。"})
    assert response.status_code == 400 and "只能申请重新办理一次" in response.content.decode()


def test_a_reopen_needs_a_reason(client, world, entry):
    entry = answered(entry, world)
    response = client.post(track(entry), {"action": "reopen", "text": ""})
    assert response.status_code == 400 and "请填写内容" in response.content.decode()


def test_an_unknown_action_changes_nothing(client, entry):
    assert client.post(track(entry), {"action": "delete"}).status_code == 200
    assert entry.events.count() == 1


def test_a_post_with_a_wrong_token_is_404(client, entry):
    url = reverse("suggestions:track", args=["z" * 43])
    assert client.post(url, {"action": "follow_up", "text": "补充一下内容。"}).status_code == 404


def test_the_page_reads_a_constant_number_of_queries(client, world, submit):
    small = submit()
    with CaptureQueriesContext(connection) as few:
        client.get(track(small))
    big = answered(submit(photos=[prepared(), prepared()]), world, resolve=False)
    for n in range(3):
        services.suggestion_follow_up(suggestion=big, text=f"第 {n} 次补充说明。")
    services.suggestion_reply(suggestion=big, user=world.firm_user, text="再答复一次。", photos=[prepared()])
    with CaptureQueriesContext(connection) as many:
        client.get(track(big))
    assert len(few) == len(many)
