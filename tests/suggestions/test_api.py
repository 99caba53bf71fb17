"""The hotline API (12345, Open311 GeoReport v2 in shape): tokens, filing, idempotence, status, privacy."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from notifications.models import OutboxMessage
from suggestions import api_services, messaging, services
from suggestions.models import ApiClient, Category, Suggestion, SuggestionEvent
from tests.suggestions.conftest import TEXT

pytestmark = pytest.mark.django_db

SERVICES = reverse("suggestions:api_services")
REQUESTS = reverse("suggestions:api_requests")


def detail(number):
    return reverse("suggestions:api_request", kwargs={"service_request_id": number})


@pytest.fixture
def issued(world):
    return api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")


@pytest.fixture
def api(issued):
    _client, token = issued
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", enforce_csrf_checks=True)


def post(api, **fields):
    body = {"service_code": "facilities", "description": TEXT, "address_id": "HS001", **fields}
    return api.post(REQUESTS, json.dumps(body), content_type="application/json")


def errors_of(response):
    body = response.json()
    assert isinstance(body, list) and body, body
    assert all(set(item) == {"code", "description"} and item["code"] == response.status_code for item in body)
    return " ".join(item["description"] for item in body)


# --- tokens ------------------------------------------------------------------------------------------

def test_issuing_stores_only_a_hash_of_the_token(world, issued):
    client, token = issued
    row = ApiClient.objects.get()
    assert len(token) >= 43 and token not in (row.token_hash, row.name)
    assert row.token_hash == api_services.token_hash(token) and row.token_prefix == token[:8]
    assert api_services.api_client_authenticate(token) == client


def test_a_client_belongs_to_a_district(world):
    with pytest.raises(Exception, match="区"):
        api_services.api_client_issue(district=world.street, name="x")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic abc", "Bearer wrong-token", "bearer  "])
def test_missing_or_wrong_tokens_answer_401_in_open311_shape(world, issued, header):
    client = Client(HTTP_AUTHORIZATION=header) if header is not None else Client()
    for url in (SERVICES, REQUESTS, detail("YJ26120100001")):
        response = client.get(url)
        assert response.status_code == 401, (url, response.status_code)
        assert "令牌" in errors_of(response)
        assert response["WWW-Authenticate"].startswith("Bearer")
    response = client.post(REQUESTS, json.dumps({"service_code": "other"}), content_type="application/json")
    assert response.status_code == 401 and not Suggestion.private_objects.exists()


def test_a_logged_in_session_is_no_token(world, issued):
    client = Client()
    client.force_login(world.district_user)
    assert client.get(SERVICES).status_code == 401


def test_a_deactivated_or_rotated_token_stops_working(world, issued, api):
    client, token = issued
    assert api.get(SERVICES).status_code == 200
    new = api_services.api_client_rotate(client=client)
    assert api.get(SERVICES).status_code == 401
    fresh = Client(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert fresh.get(SERVICES).status_code == 200
    api_services.api_client_deactivate(client=client)
    response = fresh.get(SERVICES)
    assert response.status_code == 403 and "停用" in errors_of(response)
    with pytest.raises(PermissionDenied):
        api_services.api_client_authenticate(new)


def test_last_used_is_written_at_most_once_a_minute(world, issued, api, django_assert_max_num_queries):
    api.get(SERVICES)
    first = ApiClient.objects.get().last_used_at
    assert first is not None
    with django_assert_max_num_queries(1):  # the lookup only: no write within the minute
        api.get(SERVICES)
    assert ApiClient.objects.get().last_used_at == first


def test_requests_over_the_rate_limit_answer_429(world, api, settings):
    settings.SUGGESTION_API_RATE_PER_MINUTE = 3
    from django.core.cache import cache

    cache.clear()
    statuses = [api.get(SERVICES).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = api.get(SERVICES)
    assert response["Retry-After"] == "60" and "频繁" in errors_of(response)


def test_wrong_method_answers_405_in_open311_shape(api):
    response = api.post(SERVICES, "{}", content_type="application/json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    errors_of(response)


# --- services -----------------------------------------------------------------------------------------

def test_services_are_the_categories(api):
    body = api.get(SERVICES).json()
    assert [s["service_code"] for s in body] == Category.values
    assert all(s["metadata"] is False and s["type"] == "realtime" and s["service_name"] and s["description"]
               for s in body)
    assert body[2]["service_name"] == "设施维修"


# --- filing -------------------------------------------------------------------------------------------

def test_a_hotline_request_goes_to_the_same_inbox_with_the_same_deadlines(world, api):
    response = post(api, external_id="12345-2026-0001", last_name="王", first_name="阿姨", phone="13800138000")
    assert response.status_code == 201, response.content
    [body] = response.json()
    entry = Suggestion.private_objects.get()
    assert body == {"service_request_id": entry.number, "service_notice": body["service_notice"], "account_id": None}
    assert entry.answer_due.isoformat() in body["service_notice"]
    assert (entry.source, entry.external_id, entry.estate, entry.firm) == (
        "hotline", "12345-2026-0001", world.estate, world.firm)
    assert (entry.name, entry.mobile, entry.consent_contact, entry.anonymous) == ("王阿姨", "13800138000", False, False)
    web = services.suggestion_submit(estate=world.estate, category="facilities", text=TEXT)
    assert (entry.acknowledge_due, entry.answer_due) == (web.acknowledge_due, web.answer_due)
    assert OutboxMessage.objects.filter(kind=messaging.RECEIVED, key=str(entry.pk)).exists()
    assert not OutboxMessage.objects.filter(kind=messaging.RESIDENT_UPDATE).exists()  # the hotline answers them
    assert not entry.events.get().by_resident


def test_form_fields_as_open311_sends_them_work_too(world, api):
    response = api.post(REQUESTS, {"service_code": "greening", "description": TEXT, "address_id": "hs002"})
    assert response.status_code == 201, response.content
    entry = Suggestion.private_objects.get()
    assert (entry.estate, entry.category, entry.anonymous) == (world.estate2, "greening", True)


def test_the_same_external_id_twice_returns_the_first_request(world, api):
    first = post(api, external_id="T-1")
    again = post(api, external_id="T-1", description="完全不同的另一段内容，也不该新建。")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Suggestion.private_objects.count() == 1
    assert post(api).status_code == 201 and post(api).status_code == 201  # no external_id: each is new
    assert Suggestion.private_objects.count() == 3


def test_another_districts_external_id_is_a_conflict_and_reveals_nothing(world, api):
    other, token = api_services.api_client_issue(district=world.other_district, name="江北 12345")
    theirs = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"service_code": "other", "description": TEXT, "address_id": "JB001", "external_id": "X-9"}
    assert theirs.post(REQUESTS, json.dumps(body), content_type="application/json").status_code == 201
    response = post(api, external_id="X-9")
    assert response.status_code == 409
    number = Suggestion.private_objects.get().number
    assert number not in response.content.decode() and "孔浦" not in response.content.decode()


def test_another_districts_estate_answers_404_and_saves_nothing(world, api):
    response = post(api, address_id="JB001")
    assert response.status_code == 404 and "JB001" in errors_of(response)
    assert post(api, address_id="NOPE").status_code == 404
    assert not Suggestion.private_objects.exists()


@pytest.mark.parametrize(("fields", "words"), [
    ({"service_code": "plumbing"}, "服务类别"),
    ({"service_code": None}, "service_code"),
    ({"description": "太短"}, "至少"),
    ({"description": "字" * 2001}, "最多"),
    ({"address_id": ""}, "address_id"),
    ({"phone": "12345"}, "手机号码"),
    ({"phone": ["13800138000"]}, "文字"),
    ({"external_id": "x" * 65}, "最多"),
    ({"last_name": "王" * 51}, "姓名"),
    ({"description": TEXT + "\x00"}, "字符"),
])
def test_bad_fields_answer_400_in_words_and_save_nothing(world, api, fields, words):
    response = post(api, **fields)
    assert response.status_code == 400, response.content
    assert words in errors_of(response)
    assert not Suggestion.private_objects.exists()


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "\xff\xfe"])
def test_bad_json_answers_400(world, api, body):
    response = api.post(REQUESTS, body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in errors_of(response)
    assert not Suggestion.private_objects.exists()


# --- reading ------------------------------------------------------------------------------------------

def firm_answers(entry, world):
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排电工今天下午维修。")
    return services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好，谢谢反映。")


def test_status_maps_the_states_and_notes_are_the_latest_public_answer(world, api):
    number = post(api, external_id="S-1", phone="13800138000", last_name="王").json()[0]["service_request_id"]
    [row] = api.get(detail(number)).json()
    assert (row["status"], row["status_notes"], row["external_id"]) == ("open", None, "S-1")
    entry = Suggestion.private_objects.get()
    assert row["expected_datetime"] == f"{entry.answer_due.isoformat()}T23:59:59+08:00"
    assert row["requested_datetime"].endswith("+08:00") and row["agency_responsible"] == "月湖物业"
    services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排电工今天下午维修。")
    [row] = api.get(detail(number)).json()
    assert (row["status"], row["status_notes"]) == ("open", "已安排电工今天下午维修。")
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好，谢谢反映。")
    [row] = api.get(detail(number)).json()
    assert (row["status"], row["status_notes"]) == ("closed", "路灯已修好，谢谢反映。")
    assert row["updated_datetime"] >= row["requested_datetime"]
    # A moderation event is not public: neither its text nor its time changes what the hotline reads.
    services.suggestion_redact(suggestion=entry, user=world.district_user, text="小区东门的路灯坏了，晚上不安全。")
    [after] = api.get(detail(number)).json()
    assert after["description"] == "小区东门的路灯坏了，晚上不安全。" and after["status_notes"] == row["status_notes"]


@pytest.mark.parametrize(("state_steps", "status"), [
    ([], "open"), (["acknowledge"], "open"), (["start"], "open"), (["close"], "closed"), (["refer"], "closed")])
def test_every_state_maps_to_open_or_closed(world, api, state_steps, status):
    number = post(api).json()[0]["service_request_id"]
    entry = Suggestion.private_objects.get()
    for step in state_steps:
        if step in ("close", "refer"):
            getattr(services, f"suggestion_{step}")(suggestion=entry, user=world.firm_user,
                                                    reason="不属于物业管理范围。")
        else:
            getattr(services, f"suggestion_{step}")(suggestion=entry, user=world.firm_user)
    assert api.get(detail(number)).json()[0]["status"] == status


def test_no_personal_data_in_what_the_hotline_reads(world, api):
    number = post(api, last_name="王", first_name="秀英", phone="13912345678").json()[0]["service_request_id"]
    for url in (detail(number), f"{REQUESTS}?service_request_id={number}", REQUESTS):
        text = api.get(url).content.decode()
        assert number in text
        for secret in ("王秀英", "秀英", "13912345678", "1391", "5678", Suggestion.private_objects.get().token):
            assert secret not in text, (url, secret)


def test_only_the_districts_own_hotline_entries_are_read(world, api, submit):
    web = submit()  # a resident's own entry of the same district
    other, token = api_services.api_client_issue(district=world.other_district, name="江北 12345")
    body = {"service_code": "other", "description": TEXT, "address_id": "JB001"}
    Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(REQUESTS, json.dumps(body), content_type="application/json")
    foreign = Suggestion.private_objects.get(district=world.other_district)
    mine = post(api).json()[0]["service_request_id"]
    for number in (web.number, foreign.number):
        response = api.get(detail(number))
        assert response.status_code == 404 and number in errors_of(response)
    listed = api.get(REQUESTS, {"service_request_id": f"{web.number},{foreign.number},{mine}"}).json()
    assert [r["service_request_id"] for r in listed] == [mine]
    assert [r["service_request_id"] for r in api.get(REQUESTS).json()] == [mine]


def test_a_hidden_entry_is_not_read(world, api):
    number = post(api).json()[0]["service_request_id"]
    services.suggestion_hide(suggestion=Suggestion.private_objects.get(), user=world.district_user, reason="辱骂")
    assert api.get(detail(number)).status_code == 404


def test_the_list_is_one_query_whatever_its_length(world, api, django_assert_num_queries):
    numbers = [post(api).json()[0]["service_request_id"] for _ in range(2)]
    api.get(SERVICES)  # last_used written
    with django_assert_num_queries(2):  # the client, the rows
        assert len(api.get(REQUESTS, {"service_request_id": ",".join(numbers)}).json()) == 2
    numbers += [post(api).json()[0]["service_request_id"] for _ in range(4)]
    for entry in Suggestion.private_objects.all():
        firm_answers(entry, world)
    with django_assert_num_queries(2):
        assert len(api.get(REQUESTS, {"service_request_id": ",".join(numbers)}).json()) == 6


def test_list_filters_and_their_errors(world, api):
    number = post(api).json()[0]["service_request_id"]
    assert [r["service_request_id"] for r in api.get(REQUESTS, {"status": "open"}).json()] == [number]
    assert api.get(REQUESTS, {"status": "closed"}).json() == []
    assert api.get(REQUESTS, {"start_date": "2999-01-01T00:00:00+08:00"}).json() == []
    assert len(api.get(REQUESTS, {"end_date": "2999-01-01T00:00:00"}).json()) == 0  # 90 days before 2999
    for params in ({"status": "pending"}, {"start_date": "yesterday"}, {"end_date": "2026-13-45T00:00:00"},
                   {"service_request_id": ",".join(["YJ1"] * 101)}):
        response = api.get(REQUESTS, params)
        assert response.status_code == 400, params
        errors_of(response)


def test_events_of_a_hotline_entry_are_not_the_residents(world, api):
    post(api)
    event = SuggestionEvent.objects.get()
    assert (event.kind, event.by_resident, event.public) == ("submitted", False, True)


def test_an_estate_no_longer_registered_is_refused_in_words(world, api):
    world.estate.is_active = False
    world.estate.save(update_fields=["is_active"])
    response = post(api)
    assert response.status_code == 400 and "不在册" in errors_of(response)
    assert not Suggestion.private_objects.exists()


def test_a_ticket_filed_by_a_concurrent_request_meanwhile_is_returned_not_doubled(world, issued, monkeypatch):
    client, _token = issued
    data = {"service_code": "facilities", "description": TEXT, "address_id": "HS001", "external_id": "RACE-1"}
    first, created = api_services.api_request_submit(client=client, data=data)
    assert created
    real = api_services._existing
    calls = []

    def not_yet(c, external_id):  # the first look happens before the other request's commit
        calls.append(external_id)
        return None if len(calls) == 1 else real(c, external_id)

    monkeypatch.setattr(api_services, "_existing", not_yet)
    again, created = api_services.api_request_submit(client=client, data=data)
    assert (again.pk, created, len(calls)) == (first.pk, False, 2)
    assert Suggestion.private_objects.count() == 1
