"""The entry page's history and resident's photos are kept rendered (suggestions/selectors/inbox.py
``history_cache_key``): a repeated view reads neither events nor photos, and every change shows on the next view,
whatever wrote it (services, the admin's moderation, the sweep's ``bulk_create``, the retention job)."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from suggestions import photos, services, sweeps
from suggestions.models import Suggestion, SuggestionEvent
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db


def detail(entry):
    return reverse("suggestions:inbox_detail", args=[entry.number])


def _prepared():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return photos.prepare(SimpleUploadedFile("a.jpg", buffer.getvalue(), content_type="image/jpeg"))


def history(html):
    return re.search(r"<ol[^>]*data-history>(.*?)</ol>", html, re.S).group(1)


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def page(client, entry):
    response = client.get(detail(entry))
    assert response.status_code == 200
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())  # masked anew


def test_a_repeated_view_reads_no_event_or_photo(firm, entry):
    first = page(firm, entry)
    with CaptureQueriesContext(connection) as ctx:
        again = page(firm, entry)
    assert again == first
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert '"suggestions_suggestionevent"."kind"' not in sql and '"suggestions_suggestionphoto"."image"' not in sql


def test_the_html_is_the_same_kept_or_not(firm, world, submit, settings):
    entry = submit(photos=[_prepared()])
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排维修。", photos=[_prepared()])
    kept = page(firm, entry)
    assert page(firm, entry) == kept
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert page(firm, entry) == kept
    assert kept.count("suggestion-thumb") == 2


def test_each_step_shows_at_once(firm, world, entry):
    page(firm, entry)
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    assert 'data-event="acknowledged"' in history(page(firm, entry))
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="明天上午派电工来修。")
    assert "明天上午派电工来修。" in history(page(firm, entry))
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好。")
    html = page(firm, entry)
    assert "路灯已修好。" in history(html)
    services.suggestion_rate(suggestion=entry, rating=2, comment="修得太慢")
    html = page(firm, entry)
    assert "修得太慢" in history(html) and 'data-field="rating"' in html
    services.suggestion_reopen(suggestion=entry, text="又坏了，请再来看看。")
    html = page(firm, entry)
    assert "又坏了，请再来看看。" in history(html) and "居民已申请重新办理" in html


def test_a_follow_up_with_a_photo_shows_at_once(firm, entry):
    html = page(firm, entry)
    assert "suggestion-thumb" not in html
    services.suggestion_follow_up(suggestion=entry, text="补充：西门的也坏了。", photos=[_prepared()])
    html = history(page(firm, entry))
    assert "补充：西门的也坏了。" in html
    photo = entry.photos.get()
    assert reverse("suggestions:inbox_photo_thumb", args=[entry.number, photo.pk]) in html


def test_the_residents_photos_show_at_once(firm, entry):
    page(firm, entry)
    services._save_photos(entry, [_prepared()])
    photo = entry.photos.get()
    html = page(firm, entry)
    assert reverse("suggestions:inbox_photo_thumb", args=[entry.number, photo.pk]) in html.split("data-history")[0]
    photo.delete()
    assert "suggestion-thumb" not in page(firm, entry)


def test_moderation_shows_at_once(firm, world, entry, settings):
    """The handling firm keeps the resident's own text and does not see the moderators' marks: after a hide or a
    redaction its page is what a page drawn afresh shows."""
    page(firm, entry)
    services.suggestion_redact(suggestion=entry, user=world.district_user, text="小区东门的路灯坏了。")
    services.suggestion_hide(suggestion=entry, user=world.district_user, reason="含有广告")
    kept = page(firm, entry)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert page(firm, entry) == kept


def test_an_overdue_mark_of_the_sweep_shows_at_once(firm, submit):
    entry = submit(received=at(datetime.date(2025, 9, 30)))
    assert 'data-event="overdue"' not in page(firm, entry)
    sweeps.sweep_overdue(today=datetime.date(2025, 10, 10))
    assert SuggestionEvent.objects.filter(suggestion=entry, kind="overdue").exists()
    assert 'data-event="overdue"' in history(page(firm, entry))


def test_erasure_blanks_the_kept_history_at_once(firm, world, submit):
    old = submit(received=timezone.now() - datetime.timedelta(days=800))
    services.suggestion_resolve(suggestion=old, user=world.firm_user, text="已处理，联系王阿姨 13800138000。")
    Suggestion.private_objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=731))
    assert "13800138000" in history(page(firm, old))
    assert services.erase_personal_data() == 1
    assert "13800138000" not in page(firm, old)


def test_a_renamed_author_shows_at_once_a_login_keeps_the_history(firm, world, entry, client):
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    assert "小李" not in page(firm, entry)
    world.firm_user.first_name, world.firm_user.last_name = "李", "小李"
    world.firm_user.save()
    assert "小李" in history(page(firm, entry))


def test_a_renamed_estate_shows_at_once(firm, world, entry):
    page(firm, entry)
    world.estate.name = "月湖花园二期"
    world.estate.save()
    assert "月湖花园二期" in page(firm, entry)


def test_another_firm_never_gets_the_first_firms_history(client, world, entry, submit):
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="只给月湖物业看的答复。")
    client.force_login(world.firm_user)
    assert "只给月湖物业看的答复。" in page(client, entry)
    client.force_login(world.other_firm_user)
    assert client.get(detail(entry)).status_code == 404
    theirs = submit(estate=world.other_estate)
    html = page(client, theirs)
    assert "只给月湖物业看的答复。" not in html and entry.number not in html


def test_the_mobile_stays_as_before_for_the_handling_firm(firm, entry):
    page(firm, entry)
    html = page(firm, entry)
    assert "13800138000" in html and "138****8000" not in html


def test_a_warm_entry_page_reads_the_cache_in_two_round_trips(firm, world, entry, cache_reads):
    """The shell's badge and unread count, the templates' and the authors' versions in one read; the kept photos,
    step forms and history in the other (suggestions/portal_views.py _detail)."""
    page(firm, entry)
    page(firm, entry)
    cache_reads.clear()
    with CaptureQueriesContext(connection) as ctx:
        page(firm, entry)
    assert [name for name, _keys in cache_reads] == ["get_many", "get"], cache_reads
    first = cache_reads[0][1]
    assert f"notifications:unread:{world.firm_user.pk}" in first
    assert any(key.startswith(f"suggestions:waiting:{world.firm_user.firm_id}:") for key in first)
    assert cache_reads[1][1].startswith("fragment:")
    assert "suggestions_replytemplate" not in " ".join(q["sql"] for q in ctx.captured_queries)


def test_the_kept_steps_follow_the_state(firm, world, entry):
    acknowledge = reverse("suggestions:inbox_acknowledge", args=[entry.number])
    assert acknowledge in page(firm, entry)
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    html = page(firm, entry)
    assert acknowledge not in html and reverse("suggestions:inbox_start", args=[entry.number]) in html
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好。")
    html = page(firm, entry)
    assert 'data-action-form="reply"' not in html and "路灯已修好。" in history(html)


def test_a_refused_step_leaves_the_kept_page_clean(firm, entry):
    """The page drawn with a refused step's errors is not kept: the next view shows the empty forms."""
    clean = page(firm, entry)
    response = firm.post(reverse("suggestions:inbox_close", args=[entry.number]), {"close-reason": " "})
    assert "请填写原因。" in response.content.decode()
    assert page(firm, entry) == clean

