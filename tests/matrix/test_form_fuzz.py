"""Hostile input on every form and query parameter each role of the matrix can reach: never a 500, and
nothing already saved changes unless the form accepted the input; another organisation's id is refused.

The pages come from the matrix (tests/matrix/test_matrix.py: every URL pattern of the resolver, filled with
the role's own objects): those that answer the role 200. Their query parameters are recorded while they
render (``Recorder`` and the hostile values of tests/test_bad_parameters.py, reused); their forms
(``<form method="post">``, the portal's and the admin's add/change forms among them) are read from the
page. Hypothesis then draws, per example, one page of one role and hostile values for its fields (empty,
huge, NUL, 10**25, unicode, 0000-00-00, formula-looking text, the ids of objects hidden from the role),
and POSTs them over the form's own values. After each POST:

* the answer is not a 500;
* no object hidden from the role changed (a snapshot of their rows before and after);
* when the form refused the input (it came back, 200), the page's own object is unchanged;
* no row now points at an object hidden from the role through the foreign key that was given its id.
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.matrix import expectations as ex
from tests.matrix import test_matrix as matrix
from tests.matrix.roles import ANONYMOUS, ROLES
from tests.test_bad_parameters import HOSTILE, HUGE, NUL, Recorder, values

FORMULAS = ["=1+1", "=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "=cmd|'/c calc'!A1"]
HOSTILE_FORM = [*HOSTILE, "0000-00-00", "9999-99-99", str(10**25), "A" * 5000, "\u202e\u0000\ufeff", "😀" * 50,
                *FORMULAS]
# Pages whose POST ends the session or mails people outside the cast: requested by their own tests.
NOT_POSTED = {"accounts:logout", "admin:logout", "accounts:password_change", "admin:password_change",
              "accounts:password_reset", "accounts:login", "admin:login", "set_language"}
MAX_EXAMPLES = 100  # per test: the file stays near a minute on one core


class FormReader(HTMLParser):
    """The POST forms of a page: their field names and the values the page gives them."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "choices": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file", "image"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self._form["fields"].setdefault(name, None)
            elif attrs.get("type") in ("checkbox", "radio"):
                self._form["fields"][name] = attrs.get("value", "on")  # what a browser sends
            else:
                self._form["fields"][name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].setdefault(name, "")
            self._form["choices"][name] = []
        elif tag == "option" and self._select:
            self._form["choices"][self._select].append(attrs.get("value", ""))
            if "selected" in attrs:
                self._form["fields"][self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_forms(html):
    reader = FormReader()
    reader.feed(html)
    return reader.forms


def _posts_to(form, url):
    """The url name a form posts to (the language switch and logout of every page are not fuzzed)."""
    from django.urls import Resolver404, resolve

    try:
        return resolve((form["action"] or url).split("?")[0]).view_name
    except Resolver404:
        return None


def _snapshot(things):
    """Rows of the given things, by key (a deleted row is missing)."""
    out = {}
    for thing in things:
        model = type(thing.obj)
        names = [f.attname for f in model._meta.concrete_fields
                 if not f.attname.endswith(("updated_at", "last_login", "claimed_at"))]
        row = model._default_manager.filter(pk=thing.obj.pk).values(*names).first()
        out[thing.key] = row
    return out


def _own_thing(cast, expect, role):
    model = matrix.model_of(expect.model)
    return cast.mine(model, role) if model else None


def reachable_pages(cast, monkeypatch):
    """[(role, key, url, own thing, query keys read, forms)] of every page that answers the role 200."""
    table = ex.declarations()
    recorder = Recorder(monkeypatch)
    pages = []
    for key in matrix.pattern_keys():
        expect = table[key]
        if expect.not_requested or key in NOT_POSTED:
            continue
        for role in ROLES:
            wanted = expect.roles[role]
            if (wanted[0] if isinstance(wanted, tuple) else wanted) != ex.OK:
                continue
            for which, url, _expected in matrix.requests_for(cast, key, expect, role)[:1]:
                response, keys = recorder.record(lambda u=url, r=role: cast.clients[r].get(u))
                if response.status_code != 200:
                    continue
                content_type = response.get("Content-Type", "")
                forms = read_forms(response.content.decode("utf-8", "replace")) \
                    if content_type.startswith("text/html") and not response.streaming else []
                own = _own_thing(cast, expect, role) if which.startswith("own") else None
                forms = [form for form in forms if _posts_to(form, url) not in NOT_POSTED]
                pages.append((role, key, url, own, sorted(keys), forms))
    return pages


@pytest.fixture(scope="module")
def pages(cast, django_db_blocker):
    """The reachable pages, read once for both tests (the cast does not change between them)."""
    from django.test import override_settings

    # The root conftest's per-test settings, for this module-wide read.
    with pytest.MonkeyPatch.context() as monkeypatch, django_db_blocker.unblock(), override_settings(
            SECURE_SSL_REDIRECT=False, AXES_ENABLED=False, LANGUAGE_CODE="zh-hans", JOBS_IN_THREADS=False,
            CELERY_TASK_ALWAYS_EAGER=True, MEDIA_ROOT=_media(cast),
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        return reachable_pages(cast, monkeypatch)


def _media(cast):
    return cast.media_root  # where the cast's build put its files


@pytest.mark.django_db
def test_hostile_query_parameters_never_answer_500(cast, pages):
    pages = [(role, url, keys) for role, _key, url, _own, keys, _forms in pages if keys]
    assert len(pages) > 50
    targets = [(role, url, key) for role, url, keys in pages for key in keys]
    failures = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(targets), value=values)
    def explore(target, value):
        role, url, key = target
        response = cast.clients[role].get(url, {key: value})
        if response.status_code >= 500:
            failures.append((role, url, key, value, response.status_code))

    for role, url, key in targets[::7]:  # and the fixed hostile values on a spread of them
        for value in (HUGE, NUL, "0000-00-00"):
            response = cast.clients[role].get(url, {key: value})
            if response.status_code >= 500:
                failures.append((role, url, key, value, response.status_code))
    explore()
    assert not failures, failures[:20]


def _foreign_ids(cast, role):
    return [str(t.obj.pk) for t in cast.hidden_from(role) if isinstance(t.obj.pk, int)]


def _added_model(key):
    """The model of an admin add page, or None."""
    match = re.match(r"admin:(\w+?)_(\w+?)_add$", key)
    if not match:
        return None
    return next((m for m in apps.get_models() if m._meta.app_label == match[1] and m._meta.model_name == match[2]),
                None)


def _fk_of(key, field_name):
    """The foreign key of the admin model a form field edits, or None."""
    match = re.match(r"admin:(\w+?)_(\w+?)_(add|change)$", key)
    if not match:
        return None
    for model in apps.get_models():
        if model._meta.app_label == match[1] and model._meta.model_name == match[2]:
            try:
                field = model._meta.get_field(field_name)
            except Exception:  # noqa: BLE001 - not a model field (a form-only field)
                return None
            return (model, field) if field.many_to_one or field.one_to_one else None
    return None


@pytest.mark.django_db
def test_hostile_form_posts_never_answer_500_nor_change_what_they_must_not(cast, pages):
    forms = [(role, key, url, own, form) for role, key, url, own, _keys, page_forms in pages
             for form in page_forms if role != ANONYMOUS and form["fields"]]
    assert len(forms) > 30, len(forms)
    failures = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def explore(data):
        role, key, url, own, form = data.draw(st.sampled_from(forms))
        fields = {k: v for k, v in form["fields"].items() if v is not None and k != "csrfmiddlewaretoken"}
        names = sorted(fields) or sorted(form["fields"])
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        foreign_ids = _foreign_ids(cast, role)
        posted = dict(fields)
        for name in chosen:
            posted[name] = data.draw(st.one_of(st.sampled_from(HOSTILE_FORM), values,
                                               st.sampled_from(foreign_ids or ["0"])))
        hidden = cast.hidden_from(role)
        before = _snapshot(hidden)
        own_before = _snapshot([own]) if own is not None else None
        pointing = {}
        for name in chosen:
            fk = _fk_of(key, name)
            if fk and posted[name] in foreign_ids:
                model, field = fk
                pointing[name] = (model, field, posted[name],
                                  model._default_manager.filter(**{field.attname: posted[name]}).count())
        target = form["action"] or url
        if not target.startswith("/"):
            target = url
        added = _added_model(key)
        rows_before = added._default_manager.count() if added else None
        response = cast.clients[role].post(target, posted)
        problem = None
        if response.status_code >= 500:
            problem = "500"
        elif response.status_code == 200 and added and added._default_manager.count() != rows_before:
            problem = "a refused add form saved a row"
        elif _snapshot(hidden) != before:
            changed = [k for k, v in _snapshot(hidden).items() if before[k] != v]
            problem = f"changed what {role} must not see: {changed}"
        elif response.status_code == 200 and own is not None and _snapshot([own]) != own_before:
            problem = "a refused form changed its object"
        else:
            for name, (model, field, value, count) in pointing.items():
                if model._default_manager.filter(**{field.attname: value}).count() > count:
                    problem = f"saved {name}={value}, an id {role} must not see"
        if problem:
            failures.append((role, url, {k: posted[k] for k in chosen}, response.status_code, problem))

    explore()
    assert not failures, "\n".join(repr(f)[:400] for f in failures[:20])


def test_the_form_reader_reads_fields_choices_and_values():
    forms = read_forms('<form method="post" action="/x/"><input name="a" value="1"><input type="checkbox" name="b">'
                       '<select name="c"><option value="">-</option><option value="5" selected>e</option></select>'
                       '<textarea name="d">text</textarea><input type="submit" name="go"></form>'
                       '<form method="get"><input name="q"></form>')
    assert forms == [{"action": "/x/", "fields": {"a": "1", "b": None, "c": "5", "d": "text"},
                      "choices": {"c": ["", "5"]}}]
    assert read_forms('<form method="post"><input type="checkbox" name="on" checked></form>')[0]["fields"] == {
        "on": "on"}



@pytest.mark.django_db
def test_every_admin_form_refuses_the_id_of_an_object_hidden_from_the_role(cast, pages):
    """Each foreign key of each add/change form the role can open, given the id of an object of the target
    model hidden from the role (another district's campaign, another city's agency...), over the form's own
    values: nothing is saved that points at it, and nothing hidden changes."""
    tried, failures = 0, []
    for role, key, url, _own, _keys, page_forms in pages:
        if not re.match(r"admin:\w+_(add|change)$", key):
            continue
        for form in page_forms:
            fields = {k: v for k, v in form["fields"].items() if v is not None}
            for name in sorted(form["fields"]):
                fk = _fk_of(key, name)
                if fk is None:
                    continue
                model, field = fk
                foreign = next((t for t in cast.hidden_from(role) if type(t.obj) is field.related_model), None)
                if foreign is None:
                    continue
                hidden = cast.hidden_from(role)
                before = _snapshot(hidden)
                count = model._default_manager.filter(**{field.attname: foreign.obj.pk}).count()
                response = cast.clients[role].post(url, {**fields, name: str(foreign.obj.pk)})
                tried += 1
                if response.status_code >= 500 or _snapshot(hidden) != before or \
                        model._default_manager.filter(**{field.attname: foreign.obj.pk}).count() > count:
                    failures.append((role, url, name, foreign.key, response.status_code))
    assert tried > 20, tried
    assert not failures, failures
