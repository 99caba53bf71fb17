"""Hostile input to the hotline API's POST requests.json (hypothesis, bounded): never a 500, an Open311
error array for every refusal, and nothing saved unless the answer says a request was filed."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggestions import api_services
from suggestions.models import Suggestion
from tests.suggestions.conftest import TEXT

pytestmark = pytest.mark.django_db
REQUESTS = reverse("suggestions:api_requests")
FIELDS = ["service_code", "description", "address_id", "external_id", "first_name", "last_name", "phone",
          "email", "lat", "long", "attribute[estate]"]
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.text(min_size=2001, max_size=2100), st.sampled_from(["facilities", "other", "HS001", "hs001", "JB001", TEXT,
                                                            "13800138000", "+86 139 1234 5678", "\x00", "\ud800"]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
VALID = {"service_code": "facilities", "description": TEXT, "address_id": "HS001"}
fuzzed = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=8)
# Random dicts, and a valid request with some of its fields replaced (so that some are filed).
bodies = fuzzed | fuzzed.map(lambda d: {**VALID, **dict(list(d.items())[:2])})


@pytest.fixture
def api(world, settings):
    settings.SUGGESTION_API_RATE_PER_MINUTE = 0
    _client, token = api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def check(response, before):
    assert response.status_code in (200, 201, 400, 404, 409), (response.status_code, response.content[:300])
    body = response.json()
    after = Suggestion.private_objects.count()
    if response.status_code == 201:
        assert after == before + 1 and body[0]["service_request_id"]
    else:
        assert after == before, response.content[:300]
        if response.status_code != 200:
            assert all(item["code"] == response.status_code and item["description"] for item in body)


@FUZZ
@given(body=bodies)
def test_json_fields_never_break_the_api(api, body):
    before = Suggestion.private_objects.count()
    payload = json.dumps(body, allow_nan=True)
    check(api.post(REQUESTS, payload, content_type="application/json"), before)


@FUZZ
@given(body=bodies.map(lambda d: {k: v for k, v in d.items() if isinstance(v, str) and "\x00" not in k + v}))
def test_form_fields_never_break_the_api(api, body):
    # (A NUL in a form field never reaches the view: core.middleware.BadParameterMiddleware answers 400 first.)
    before = Suggestion.private_objects.count()
    try:
        encoded = {k.encode("utf-8").decode(): v.encode("utf-8").decode() for k, v in body.items()}
    except UnicodeEncodeError:
        return  # a lone surrogate cannot be sent as a form field at all
    check(api.post(REQUESTS, encoded), before)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_raw_bodies_never_break_the_api(api, raw):
    before = Suggestion.private_objects.count()
    check(api.post(REQUESTS, raw, content_type="application/json"), before)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["service_request_id", "status", "start_date", "end_date"]),
                              st.text(max_size=40).filter(lambda v: "\x00" not in v), max_size=4))
def test_list_parameters_never_break_the_api(api, params):
    # (A NUL in the query string is core.middleware.BadParameterMiddleware's 400, before any view.)
    response = api.get(REQUESTS, params)
    assert response.status_code in (200, 400), (params, response.status_code)
    assert isinstance(response.json(), list)
