"""docs/open311.yaml says exactly what the hotline API does: every documented path and method exists, every
API address is documented, and what the test client gets back matches the documented schema of its status."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve

from suggestions import api_services, api_urls, services
from suggestions.models import Suggestion
from tests.suggestions.conftest import TEXT

pytestmark = pytest.mark.django_db
SPEC = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "open311.yaml").read_text(encoding="utf-8"))
BASE = SPEC["servers"][0]["url"]


def resolve_ref(node):
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check(schema, value, where="$"):
    """The subset of OpenAPI 3.0's schema objects the file uses: type, nullable, enum, required, properties,
    items, minItems/maxItems, minLength/maxLength. Returns a list of problems."""
    schema = resolve_ref(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null, not nullable"]
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    kind = schema.get("type")
    if kind and not isinstance(value, types[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
        return [f"{where}: {value!r} is not {kind}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if kind == "string" and schema.get("format") == "date-time" and not re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value):
        problems.append(f"{where}: {value!r} is not an ISO 8601 time with an offset")
    if kind == "array":
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            problems.append(f"{where}: {len(value)} items")
        for i, item in enumerate(value):
            problems += check(schema["items"], item, f"{where}[{i}]")
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: required {name!r} missing")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += check(sub, value[name], f"{where}.{name}")
    return problems


def documented(path, method, status):
    operation = SPEC["paths"][path][method]
    response = resolve_ref(operation["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def url(path, **params):
    return BASE + path.format(**params)


@pytest.fixture
def api(world, settings):
    settings.SUGGESTION_API_RATE_PER_MINUTE = 0
    _client, token = api_services.api_client_issue(district=world.district, name="海曙区 12345 热线")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_every_documented_path_and_method_exists_and_every_api_pattern_is_documented():
    for path, operations in SPEC["paths"].items():
        concrete = url(path, service_request_id="YJ26120100001")
        try:
            match = resolve(concrete)
        except Resolver404:
            pytest.fail(f"{path} is documented but not served")
        assert match.namespace == "suggestions" and match.url_name.startswith("api_"), path
        for method in operations:
            response = Client().generic(method.upper(), concrete)
            assert response.status_code == 401, (path, method, response.status_code)  # exists, wants the token
    served = {"/" + str(p.pattern).replace("<str:service_request_id>", "{service_request_id}")
              for p in api_urls.urlpatterns}
    assert served == set(SPEC["paths"])


def test_the_security_scheme_is_the_bearer_token():
    assert SPEC["security"] == [{"bearer": []}]
    assert SPEC["components"]["securitySchemes"]["bearer"] == {
        **SPEC["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}


def exchange(api, world):
    """(path, method, response) of every documented answer the API gives in a short story."""
    out = []
    say = out.append
    say(("/services.json", "get", api.get(url("/services.json"))))
    body = {"service_code": "facilities", "description": TEXT, "address_id": "HS001", "external_id": "T-1",
            "last_name": "王", "phone": "13800138000"}
    created = api.post(url("/requests.json"), json.dumps(body), content_type="application/json")
    say(("/requests.json", "post", created))
    say(("/requests.json", "post", api.post(url("/requests.json"), json.dumps(body), content_type="application/json")))
    say(("/requests.json", "post", api.post(url("/requests.json"), json.dumps({**body, "service_code": "x"}),
                                            content_type="application/json")))
    say(("/requests.json", "post", api.post(url("/requests.json"), json.dumps({**body, "address_id": "JB001",
                                                                                "external_id": ""}),
                                            content_type="application/json")))
    number = created.json()[0]["service_request_id"]
    entry = Suggestion.private_objects.get(number=number)
    services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排维修。")
    say(("/requests/{service_request_id}.json", "get", api.get(url("/requests/{service_request_id}.json",
                                                                   service_request_id=number))))
    say(("/requests/{service_request_id}.json", "get", api.get(url("/requests/{service_request_id}.json",
                                                                   service_request_id="YJ0"))))
    say(("/requests.json", "get", api.get(url("/requests.json"), {"service_request_id": number})))
    say(("/requests.json", "get", api.get(url("/requests.json"), {"status": "closed"})))
    say(("/requests.json", "get", api.get(url("/requests.json"), {"status": "?"})))
    say(("/services.json", "get", Client().get(url("/services.json"))))
    say(("/services.json", "get", Client(HTTP_AUTHORIZATION="Bearer nope").get(url("/services.json"))))
    return out


def test_every_answer_matches_its_documented_schema(api, world):
    seen = set()
    for path, method, response in exchange(api, world):
        schema = documented(path, method, response.status_code)
        problems = check(schema, response.json())
        assert not problems, (path, method, response.status_code, problems)
        seen.add((path, method, response.status_code))
    assert {("/requests.json", "post", s) for s in (200, 201, 400, 404)} <= seen
    assert {("/requests/{service_request_id}.json", "get", s) for s in (200, 404)} <= seen


def test_the_checker_catches_a_missing_required_field_and_a_wrong_type():
    schema = {"$ref": "#/components/schemas/ServiceRequest"}
    assert any("required 'status'" in p for p in check(schema, {"service_request_id": "x"}))
    assert check({"$ref": "#/components/schemas/Errors"}, [{"code": "400", "description": "x"}])
    assert check({"$ref": "#/components/schemas/Service"}, {"metadata": True}) != []


def test_the_documented_choices_are_the_codes():
    from suggestions.models import Category

    service = SPEC["components"]["schemas"]["Service"]["properties"]["service_code"]
    assert service["enum"] == Category.values
    assert set(SPEC["components"]["schemas"]["NewRequest"]["properties"]) >= set(api_services.FIELDS)
