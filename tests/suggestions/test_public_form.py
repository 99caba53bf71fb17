"""The public suggestion form (e/<code>/suggest/): no account, errors in words, nothing typed lost."""

import io

import pillow_heif
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from notifications.models import OutboxMessage
from suggestions import messaging
from suggestions.models import Suggestion

pillow_heif.register_heif_opener()
TEXT = "三号楼门口的垃圾桶两天没有清运，味道很大。"


def image_file(fmt="JPEG", name="photo.jpg", size=(80, 60)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def url(code="HS001"):
    return reverse("suggestions:suggest", args=[code])


def data(**overrides):
    return {"category": "environment", "text": TEXT, "name": "李大爷", "mobile": "13800138000",
            "consent_contact": "on", **overrides}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_form_opens_without_an_account(client, world):
    response = client.get(url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "月湖花园" in html and 'name="category"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html  # the honeypot, out of reach
    assert "altcha-widget" not in html  # no challenge for a first entry


def test_the_code_is_found_in_any_case_and_unknown_or_inactive_estates_are_404(client, world):
    assert client.get(url("hs001")).status_code == 200
    assert client.get(url("NOPE")).status_code == 404
    world.estate.is_active = False
    world.estate.save()
    assert client.get(url()).status_code == 404


def test_the_estate_page_links_to_the_form(client, world):
    html = client.get(reverse("public:estate", args=["HS001"])).content.decode()
    assert f'href="{url()}"' in html and "网上意见箱 / 提出意见建议" in html


def test_a_submission_is_committed_then_the_receipt_shows_on_the_tracking_page(client, world):
    response = client.post(url(), data(photos=[image_file(), image_file("HEIF", "IMG_1.HEIC")]))
    entry = Suggestion.private_objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:track", args=[entry.token]) + "?new=1"
    assert (entry.estate, entry.firm, entry.category, entry.text) == (world.estate, world.firm, "environment", TEXT)
    assert (entry.name, entry.mobile, entry.consent_contact) == ("李大爷", "13800138000", True)
    assert entry.client_hash and "127.0.0.1" not in entry.client_hash
    assert entry.photos.count() == 2
    receipt = client.get(response["Location"]).content.decode()
    assert "提交成功" in receipt and entry.number in receipt and entry.token in receipt
    assert "138****8000" in receipt and "13800138000" not in receipt


def test_the_firm_is_told_through_the_outbox(client, world):
    client.post(url(), data())
    assert OutboxMessage.objects.filter(kind=messaging.RECEIVED, firm=world.firm).count() == 1


def test_anonymous_drops_name_mobile_and_consent(client, world):
    client.post(url(), data(anonymous="on"))
    entry = Suggestion.private_objects.get()
    assert (entry.anonymous, entry.name, entry.mobile, entry.consent_contact) == (True, "", "", False)


def test_anonymous_ignores_even_a_bad_mobile(client, world):
    response = client.post(url(), data(anonymous="on", mobile="12345"))
    assert response.status_code == 302


@pytest.mark.parametrize("field, value, message", [
    ("text", "太短了", "内容至少 10 个字"),
    ("text", "", "请填写内容"),
    ("text", "长" * 2001, "内容最多 2000 个字"),
    ("category", "", "请选择类别"),
    ("category", "nonsense", "请选择类别"),
    ("mobile", "12345", "请输入正确的手机号码"),
])
def test_an_error_is_shown_in_words_and_nothing_typed_is_lost(client, world, field, value, message):
    response = client.post(url(), data(**{field: value}))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert not Suggestion.private_objects.exists()
    assert "李大爷" in html  # what was typed comes back
    if field != "text":
        assert TEXT in html


def test_consent_without_a_mobile_asks_for_one(client, world):
    html = client.post(url(), data(mobile="")).content.decode()
    assert "同意联系时请留下手机号码" in html
    assert not Suggestion.private_objects.exists()


def test_a_bad_photo_is_an_error_at_the_photo_field_and_photos_must_be_chosen_again(client, world):
    bad = SimpleUploadedFile("x.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    html = client.post(url(), data(photos=[image_file(), bad])).content.decode()
    assert "第 2 张照片" in html and "无法识别该图片" in html
    assert "照片需要重新选择" in html
    assert TEXT in html
    assert not Suggestion.private_objects.exists()


def test_more_than_three_photos_are_refused(client, world):
    html = client.post(url(), data(photos=[image_file() for _ in range(4)])).content.decode()
    assert "最多上传 3 张照片" in html
    assert not Suggestion.private_objects.exists()


def test_an_oversized_photo_is_refused(client, world, settings):
    settings.SUGGESTION_PHOTO_MAX_BYTES = 2000
    html = client.post(url(), data(photos=[image_file("BMP", "big.jpg", size=(200, 200))])).content.decode()
    assert "照片不能超过" in html
    assert not Suggestion.private_objects.exists()


def test_csrf_is_checked(world):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(url(), data())
    assert response.status_code == 403
    assert not Suggestion.private_objects.exists()


def test_the_form_works_in_wechats_in_app_browser(world):
    from django.test import Client

    wechat = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=wechat)
    page = browser.get(url())
    token = browser.cookies["csrftoken"].value
    response = browser.post(url(), {**data(), "csrfmiddlewaretoken": token})
    assert page.status_code == 200 and response.status_code == 302
    assert Suggestion.private_objects.count() == 1


def test_the_form_reads_a_constant_number_of_queries(client, world):
    with CaptureQueriesContext(connection) as first:
        client.get(url())
    client.post(url(), data())
    client.post(url(), data(text=TEXT + "第二次"))
    cache.clear()  # cold again: the estate's row is cached (registry version) after the first request
    with CaptureQueriesContext(connection) as later:
        client.get(url())
    # The estate, its deadline policy (the working days the form promises) and the sender's recent entries (limits
    # and burst at once): the two first are kept once read (registry version, deadlines version).
    assert len(first) == len(later) == 3, [q["sql"][:60] for q in later]
