"""The URL x role matrix: every URL pattern of the project, requested as every role of the cast.

Patterns come from the resolver (``get_resolver()``, recursively, the admin site's ``get_urls`` of every
ModelAdmin included), never from a hand-kept list; each must have a declaration in
tests/matrix/expectations.py (``test_every_url_pattern_declares_who_may_open_it``), and a test of that
test adds a pattern to a copy of the URLconf and watches it fail. Then each (pattern, role) is one case
(``test_matrix[<pattern>-<role>]``): the page is requested with an object the role must see and with
the nearest one it must not see, the answers are compared with the declaration, and a page that
answers 200 must not betray anything hidden from the role (roles.Thing markers and admin addresses, in
HTML, JSON and Excel). POST cases follow: admin bulk actions with foreign ids mixed in, and portal
POSTs on foreign objects, both leaving the foreign rows as they were.
"""

import io
import os
import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from tests.matrix import expectations as ex
from tests.matrix.roles import CITY, DISTRICT, ROLES, STREET, SUPERUSER

# MATRIX_PROBE=<file>: write what each case answers to the file (to write a declaration), assert nothing.
PROBE = os.environ.get("MATRIX_PROBE", "")


def _probe(line):
    with open(f"{PROBE}.{os.environ.get('PYTEST_XDIST_WORKER', 'main')}", "a", encoding="utf-8") as out:
        out.write(line + "\n")


# --- the resolver --------------------------------------------------------------------------------

def walk(resolver=None, prefix="", namespace=""):
    """(key, route, pattern) of every concrete URL pattern: key is ``namespace:name``, or the route when the
    pattern has no name (the admin's object redirect and catch-all)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            key = f"{namespace}:{pattern.name}".strip(":") if pattern.name else route
            yield key, route, pattern


def undeclared(resolver=None):
    table = ex.declarations()
    return sorted({key for key, _route, _pattern in walk(resolver)} - set(table))


def pattern_keys():
    return sorted({key for key, _route, _pattern in walk()})


_ROUTES = None


def route_of(key):
    global _ROUTES
    if _ROUTES is None:
        _ROUTES = {k: r for k, r, _p in walk()}
    return _ROUTES[key]


_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")


def fill_route(route, kwargs):
    """The address of a route with its parameters (regex routes of the admin are filled by position)."""
    if route.startswith("admin/") and "^" in route:  # the simple-history version page, app index
        if "history" in route:
            head = route.split("^")[0]
            return "/" + head + f"{quote(str(kwargs['object_id']))}/history/{kwargs['history_id']}/"
        return f"/admin/{kwargs['app_label']}/"
    if "(?P<url>" in route:
        return "/admin/" + kwargs.get("url", "no-such-page/")
    return "/" + _PARAM.sub(lambda m: quote(str(kwargs[m["name"]]), safe=""), route)


def params_of(route):
    return [m["name"] for m in _PARAM.finditer(route)]


def kwargs_for(expect, route, thing):
    """Path parameters for one object of the cast."""
    if expect.fill == "history":
        record = thing.obj.history.order_by("pk").first() if hasattr(thing.obj, "history") else None
        return {"object_id": thing.obj.pk, "history_id": record.history_id if record else 999999}
    if callable(expect.fill):
        return expect.fill(thing)
    names = params_of(route)
    assert len(names) == 1, f"{route}: say how to fill {names}"
    return {names[0]: thing.obj.pk}


# --- outcomes ------------------------------------------------------------------------------------

def outcome(response):
    status = response.status_code
    if status in (301, 302):
        location = response["Location"]
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return ex.LOGIN
        if location == "/":
            return ex.HOME
        return ex.REDIRECT
    return str(status)


def page_text(response):
    """What a user could read in the answer: HTML or JSON text, or every cell of an Excel file."""
    content_type = response.get("Content-Type", "")
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    if content_type.startswith(("text/", "application/json")):
        return body.decode("utf-8", "replace")
    return ""  # PDFs, images: their content is the object itself, already checked by the status


def betrayed(cast, role, text):
    """The hidden things of the role whose marker or admin address appears in the text."""
    found = []
    for thing in cast.hidden_from(role):
        tells = [m for m in thing.markers if m in text] + [u for u in thing.urls if f'"{u}"' in text]
        if tells:
            found.append(f"{thing.key} ({', '.join(tells)})")
    return found


def login(client, cast, role):
    user = cast.users[role]
    client.logout()
    if user is not None:
        client.force_login(user)


def model_of(label):
    return apps.get_model(label) if label else None


def requests_for(cast, key, expect, role):
    """[(which, url, expected outcome)] of one case: with the role's own object and with a foreign one."""
    route = route_of(key)
    wanted = expect.roles[role] if expect.roles else None
    own_expected, foreign_expected = wanted if isinstance(wanted, tuple) else (wanted, wanted)
    if not params_of(route) and expect.fill != "history" and "^" not in route and "(?P" not in route:
        return [("page", fill_route(route, {}), own_expected)]
    if expect.model is None:
        if callable(expect.fill):
            return [("page", fill_route(route, expect.fill(None)), own_expected)]
        raise AssertionError(f"{key}: the declaration needs model= to fill {route}")
    model = model_of(expect.model)
    out = []
    mine = cast.mine(model, role)
    if mine is not None:
        out.append((f"own {mine.key}", fill_route(route, kwargs_for(expect, route, mine)), own_expected))
    if role != SUPERUSER and not (out and own_expected == foreign_expected and own_expected not in (None, ex.OK)):
        foreign = cast.foreign(model, role)
        if foreign is not None:
            out.append((f"foreign {foreign.key}", fill_route(route, kwargs_for(expect, route, foreign)),
                        foreign_expected))
    return out


CASES = [(key, role) for key in pattern_keys() for role in ROLES]


@pytest.mark.django_db
def test_every_url_pattern_declares_who_may_open_it():
    missing = undeclared()
    assert not missing, "URL patterns without a declaration in tests/matrix/expectations.py:\n" + "\n".join(missing)
    table = ex.declarations()
    stale = sorted(set(ex.DECLARED) - set(pattern_keys()))
    assert not stale, f"declarations of patterns that no longer exist: {stale}"
    registered = {model._meta.label for model in admin.site._registry}
    assert not set(ex.ADMIN_MODELS) - registered, set(ex.ADMIN_MODELS) - registered
    for key in pattern_keys():
        expect = table[key]
        if expect.not_requested:
            continue
        assert set(expect.roles) == set(ROLES), f"{key}: no outcome for {set(ROLES) - set(expect.roles)}"


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role"), CASES)
def test_matrix(cast, key, role):
    table = ex.declarations()
    expect = table.get(key)
    if expect is None and not PROBE:
        pytest.fail(f"{key} has no declaration in tests/matrix/expectations.py")
    if expect is not None and expect.not_requested:
        pytest.skip(expect.not_requested)
    expect = expect or ex.Expect(roles=None, model=guess_model(key))
    client = cast.clients[role]
    problems = []
    for which, url, expected in requests_for(cast, key, expect, role):
        response = client.get(url, expect.query)
        got = outcome(response)
        if PROBE:
            _probe(f"{key} | {role} | {which} | {got}")
        elif got != expected:
            problems.append(f"{which}: {url} answered {got}, declared {expected}")
        if got == ex.OK and expect.leaks_checked:
            leaks = betrayed(cast, role, page_text(response))
            if leaks:
                problems.append(f"{which}: {url} shows what {role} must not see: {'; '.join(leaks)}")
                if PROBE:
                    _probe(f"LEAK {key} | {role} | {which} | {leaks}")
    assert not problems, "\n".join(problems)


def guess_model(key):
    """Probe mode only: the admin model of an undeclared admin pattern."""
    for model in admin.site._registry:
        if key.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_") or \
                key.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model._meta.label
    return None


# --- the test of the test: a new page without a declaration fails the coverage check -------------

@pytest.mark.django_db
def test_a_new_url_pattern_without_a_declaration_fails_the_coverage_check(settings):
    settings.ROOT_URLCONF = "tests.matrix.urls_with_undeclared"
    assert undeclared() == ["matrix_undeclared_page"]
    with pytest.raises(AssertionError, match="matrix_undeclared_page"):
        test_every_url_pattern_declares_who_may_open_it()


# --- the four leaks of issue 15, as matrix cases of their own --------------------------------------

def _get(cast, role, url, params=None):
    response = cast.clients[role].get(url, params or {})
    assert response.status_code == 200, (url, response.status_code)
    return page_text(response)


@pytest.mark.django_db
def test_leak_a_districts_reminder_list_never_offers_another_districts_draft_campaign(cast):
    from notifications.models import Reminder

    # A reminder of the other district's draft campaign exists (the filter used to list every campaign).
    draft = cast["draft_d2"].obj
    Reminder.objects.create(obligation=cast["ob_eb"].obj, campaign=draft, kind=Reminder.Kind.MANUAL,
                            date=cast["ob_eb"].obj.due_date, due_date=cast["ob_eb"].obj.due_date, seq=7)
    for role, foreign in ((DISTRICT, "MX-draftD2"), ("district2", "MX-draftD1"), (CITY, "MX-draftC2")):
        assert foreign not in _get(cast, role, "/admin/notifications/reminder/"), role


@pytest.mark.django_db
def test_leak_a_street_officers_filters_list_only_agencies_of_their_street(cast):
    hidden = ["MX-str2", "MX-str3", "MX-dist2", "MX-city2", "MX-dist3", "MX-str4"]
    for url in ("/admin/campaigns/training/", "/admin/notifications/digest/", "/admin/estates/estate/",
                "/admin/campaigns/obligation/", "/admin/accounts/user/", "/admin/estates/agency/"):
        text = _get(cast, STREET, url)
        assert not [name for name in hidden if name in text], url


@pytest.mark.django_db
def test_leak_a_city_officer_cannot_save_a_reminder_policy_for_another_citys_campaign(cast):
    from notifications.models import ReminderPolicy

    before = set(ReminderPolicy.objects.values_list("pk", "campaign_id"))
    for foreign in ("draft_c2", "live2"):
        response = cast.clients[CITY].post("/admin/notifications/reminderpolicy/add/", {
            "campaign": cast[foreign].obj.pk, "enabled": "on", "days_before": "7,3,1", "on_due_day": "on",
            "overdue_every": "3"})
        assert response.status_code in (200, 404), response.status_code  # the form's error, or nothing at all
    assert set(ReminderPolicy.objects.values_list("pk", "campaign_id")) == before


@pytest.mark.django_db
def test_leak_the_task_form_lists_no_district_of_another_city(cast):
    text = _get(cast, CITY, "/admin/campaigns/task/add/")
    assert "MX-dist1" in text and "MX-dist3" not in text
    text = _get(cast, DISTRICT, "/admin/campaigns/task/add/")
    assert "MX-dist2" not in text and "MX-dist3" not in text


# --- POST cases: foreign rows never change ----------------------------------------------------------

def _snapshot(model, pks):
    return {row["pk"]: row for row in model._default_manager.filter(pk__in=pks).values("pk", *[
        f.attname for f in model._meta.concrete_fields if f.attname != "id"])}


def _bureau_actions():
    return [(model._meta.label, role) for model in admin.site._registry
            for role in ("street", "street2", DISTRICT, "district2", CITY)]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "role"), _bureau_actions())
def test_admin_bulk_actions_leave_foreign_rows_unchanged(cast, rf, label, role):
    """Every action the role's changelist offers, POSTed with the role's own ids and foreign ids mixed in."""
    from django.core import mail

    model = model_of(label)
    model_admin = admin.site._registry[model]
    own = [t.obj.pk for t in cast.of(model) if role in t.seen_by]
    foreign = [t.obj.pk for t in cast.of(model) if role not in t.seen_by]
    if not foreign:
        pytest.skip("no object of this kind is hidden from the role")
    request = rf.get("/")
    request.user = cast.users[role]
    actions = list(model_admin.get_actions(request))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    foreign_users = {t.obj.email for t in cast.of(model) if role not in t.seen_by and hasattr(t.obj, "email")}
    for action in actions:
        before = _snapshot(model, foreign)
        mail.outbox = []
        response = cast.clients[role].post(url, {"action": action, "_selected_action": own + foreign, "index": 0,
                                                 "post": "yes", "reason": "MX 退回", "new_year": 2099})
        assert response.status_code < 500, (action, response.status_code)
        assert _snapshot(model, foreign) == before, f"{action} changed rows {role} must not see"
        assert not [m for m in mail.outbox if set(m.to) & foreign_users], f"{action} mailed foreign users"


def _portal_post_cases():
    table = ex.declarations()
    cases = []
    for key, expect in sorted(table.items()):
        portal = ("campaigns:", "portal:", "accounts:", "notifications:", "suggestions:inbox",
                  "suggestions:reply_template")
        if not expect.model or not key.startswith(portal):
            continue
        for role in ("firm_a", "firm_b", "firm_two"):
            cases.append((key, role))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "role"), _portal_post_cases())
def test_portal_posts_on_foreign_objects_are_404_and_change_nothing(cast, key, role):
    expect = ex.declarations()[key]
    model = model_of(expect.model)
    # Not merely "not opened by the role" (a firm user does not open its own account in the admin): hidden.
    foreign = next((t for t in cast.hidden_from(role) if type(t.obj) is model), None)
    if foreign is None:
        pytest.skip("no object of this kind is hidden from the role")
    url = fill_route(route_of(key), kwargs_for(expect, route_of(key), foreign))
    before = _snapshot(model, [foreign.obj.pk])
    response = cast.clients[role].post(url, {"action": "deactivate", "text": "MX", "topic": "MX", "title": "MX",
                                             "hotline": "0574-87000009", "next": "/"})
    assert response.status_code == 404, (url, response.status_code)
    assert _snapshot(model, [foreign.obj.pk]) == before


# --- autocomplete: the one admin:autocomplete pattern, with the parameters of every autocomplete field -----

def _autocomplete_fields():
    return sorted((model._meta.label, name) for model, model_admin in admin.site._registry.items()
                  for name in getattr(model_admin, "autocomplete_fields", ()))


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "field_name"), _autocomplete_fields())
def test_autocomplete_offers_only_the_scope(cast, label, field_name):
    import json

    model = model_of(label)
    target = model._meta.get_field(field_name).related_model
    hidden_ids = {}
    for role in ("street", "street2", DISTRICT, "district2", CITY):
        hidden_ids = {str(t.obj.pk): t.key for t in cast.hidden_from(role) if type(t.obj) is target}
        response = cast.clients[role].get("/admin/autocomplete/", {
            "app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name,
            "term": ""})
        if response.status_code == 403:  # the role may not use this form
            continue
        assert response.status_code == 200, (role, response.status_code)
        offered = {item["id"] for item in json.loads(response.content)["results"]}
        assert not offered & set(hidden_ids), (role, [hidden_ids[i] for i in offered & set(hidden_ids)])


# --- the portal lists' Excel exports (the same pattern with ?export=xlsx) ---------------------------------

PORTAL_EXPORTS = ["campaigns:obligations", "campaigns:trainings", "campaigns:activities", "campaigns:coordinators",
                  "portal:estate_export", "campaigns:roster_template"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", PORTAL_EXPORTS)
@pytest.mark.parametrize("role", ["firm_a", "firm_b", "firm_two"])
def test_portal_excel_exports_show_nothing_hidden_from_the_firm(cast, key, role):
    url = fill_route(route_of(key), {})
    response = cast.clients[role].get(url, {"export": "xlsx", "campaign": "all"})
    assert response.status_code == 200, response.status_code
    assert "spreadsheetml" in response["Content-Type"]
    text = page_text(response)
    # The firm's own rows are there (an empty workbook would prove nothing), nobody else's.
    assert any(m in text for t in cast.things.values() if role in t.seen_by for m in t.markers), text[:300]
    assert not betrayed(cast, role, text)


def _admin_object_posts():
    return [(model._meta.label, view, role) for model in admin.site._registry for view in ("change", "delete")
            for role in ("street", "street2", DISTRICT, "district2", CITY)]


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "view", "role"), _admin_object_posts())
def test_admin_posts_on_a_foreign_object_are_404_and_change_nothing(cast, label, view, role):
    """Saving or deleting another organisation's object by its address: 404 (or the technical admins' 403),
    the row as it was."""
    model = model_of(label)
    foreign = next((t for t in cast.hidden_from(role) if type(t.obj) is model), None)
    if foreign is None:
        pytest.skip("no object of this kind is hidden from the role")
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{quote(str(foreign.obj.pk))}/{view}/"
    before = _snapshot(model, [foreign.obj.pk])
    response = cast.clients[role].post(url, {"post": "yes", "name": "MX-overwritten", "title": "MX-overwritten",
                                             "_save": "1"})
    scoped = ex.ADMIN_MODELS[label].scoped
    assert response.status_code == (404 if scoped else 403), response.status_code
    assert _snapshot(model, [foreign.obj.pk]) == before
