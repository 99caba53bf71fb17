"""Hostile input on the residents' forms (hypothesis, bounded): never a 500, nothing saved unless accepted.

The matrix's fuzz (tests/matrix/test_form_fuzz.py) reaches the suggestion form too, with its generic values;
this one knows the fields: it mixes valid and hostile values per field, uploads junk as photos, and checks
that an entry (or a tracking step) exists exactly when the page answered with its redirect.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from suggestions import services
from suggestions.models import Suggestion, SuggestionEvent
from tests.suggestions.conftest import TEXT

HOSTILE = ["", " ", "\x00", "A" * 5000, "长" * 2001, "\u202e\ufeff", "😀" * 30, "=1+1", "<script>alert(1)</script>",
           "0", "-1", "10" * 30, "null", "[]", "{}"]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60), st.just(TEXT))
mobile = st.one_of(st.sampled_from(["13800138000", "+86 139 0013 9000", "12345", "1" * 40, ""]), st.text(max_size=15))
checkbox = st.sampled_from([None, "on", "", "0", "false", "\x00"])


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    return buffer.getvalue()


PHOTO_BYTES = [b"", b"\x00" * 10, b"<html></html>", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, b"\xff\xd8\xff" + b"A" * 50,
               b"RIFF\x00\x00\x00\x00WEBP", b"\x00\x00\x00\x1cftypheic" + b"\x00" * 20, _png()]
photo = st.sampled_from(PHOTO_BYTES).map(lambda data: SimpleUploadedFile("x.jpg", data))

form_data = st.fixed_dictionaries({
    "category": st.one_of(st.sampled_from(["environment", "other", "", "nope", "\x00"]), st.text(max_size=10)),
    "text": text, "name": text, "mobile": mobile,
    "anonymous": checkbox, "consent_contact": checkbox,
    "website": st.sampled_from(["", "", "", "http://spam.example/"]),
    "altcha": st.sampled_from(["", "x", "e30=", "A" * 100]),
    "photos": st.lists(photo, max_size=4),
})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _clean(fields):
    return {k: v for k, v in fields.items() if v is not None}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=form_data)
def test_the_form_never_answers_500_and_saves_only_what_it_accepts(world, media, fields):
    client = Client(REMOTE_ADDR="198.51.100.50")
    before = Suggestion.private_objects.count()
    response = client.post(reverse("suggestions:suggest", args=["HS001"]), _clean(fields))
    after = Suggestion.private_objects.count()
    assert response.status_code in (200, 302, 400, 429)  # 400: a NUL (core.middleware.BadParameterMiddleware)
    if response.status_code == 302:
        assert after == before + 1
        entry = Suggestion.private_objects.order_by("-pk").first()
        assert 10 <= len(entry.text) <= 2000 and "\x00" not in entry.text
    else:
        assert after == before
    Suggestion.private_objects.all().delete()  # the next example starts below every limit


track_data = st.fixed_dictionaries({
    "action": st.one_of(st.sampled_from(["follow_up", "rate", "reopen", "", "delete"]), st.text(max_size=10)),
    "text": text, "rating": st.one_of(st.sampled_from(["1", "5", "0", "6", "", "4.5", "1e3"]), st.text(max_size=5)),
    "comment": text,
})


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=track_data, finished=st.booleans())
def test_the_tracking_forms_never_answer_500_and_change_only_what_they_accept(submit, world, fields, finished):
    entry = submit()
    if finished:
        services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="已经处理好了。")
    events = SuggestionEvent.objects.filter(suggestion=entry).count()
    response = Client().post(reverse("suggestions:track", args=[entry.token]), fields)
    assert response.status_code in (200, 302, 400)
    assert (SuggestionEvent.objects.filter(suggestion=entry).count() > events) == (response.status_code == 302)
