"""{% url %} with a constant name is reversed once per process (core/templatetags/memo_urls.py, a template
builtin) and gives what Django's own tag gives; the manifest storage computes each static URL once
(core/storage.py)."""

from unittest import mock

import pytest
from django.template import Context, Engine, engines
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from core.templatetags import memo_urls

urlpatterns = []  # an empty URL configuration (test_another_url_configuration_is_another_key)


@pytest.fixture(autouse=True)
def _fresh():
    memo_urls._urls.clear()
    yield
    memo_urls._urls.clear()
    set_script_prefix("/")


def render(source, **context):
    return engines["django"].from_string(source).render(context)


def test_the_builtin_replaces_djangos_url_tag_and_answers_the_same():
    out = render("{% url 'portal:dashboard' %}|{% url 'accounts:settings' %}")
    assert out == f"{reverse('portal:dashboard')}|{reverse('accounts:settings')}"


def test_a_constant_name_is_reversed_once():
    with mock.patch.object(memo_urls, "reverse", wraps=memo_urls.reverse) as spy:
        for _ in range(3):
            render("{% url 'portal:dashboard' %}")
    assert spy.call_count == 1


def test_arguments_and_variable_names_take_djangos_path_every_time():
    with mock.patch.object(memo_urls, "reverse", wraps=memo_urls.reverse) as spy:
        out = render("{% url 'suggestions:suggest' code %}|{% url name %}", code="CX001",
                     name="portal:dashboard")
    assert spy.call_count == 0  # Django's URLNode reverses these itself
    assert out == f"{reverse('suggestions:suggest', args=['CX001'])}|{reverse('portal:dashboard')}"
    assert memo_urls._urls == {}


def test_as_variable_and_a_missing_name():
    assert render("{% url 'portal:dashboard' as u %}[{{ u }}]") == f"[{reverse('portal:dashboard')}]"
    assert render("{% url 'no-such-page' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")
    assert not any(key[0] == "no-such-page" for key in memo_urls._urls)


def test_the_script_prefix_is_part_of_the_key():
    first = render("{% url 'portal:dashboard' %}")
    set_script_prefix("/wenming/")
    second = render("{% url 'portal:dashboard' %}")
    assert second == "/wenming" + first


def test_another_url_configuration_is_another_key():
    render("{% url 'portal:dashboard' %}")
    assert len(memo_urls._urls) == 1
    # This module's URL configuration has no portal: the portal's answer kept above must not leak into it.
    with override_settings(ROOT_URLCONF=__name__), pytest.raises(NoReverseMatch):
        render("{% url 'portal:dashboard' %}")


def test_autoescape_is_kept():
    engine = Engine(builtins=["core.templatetags.memo_urls"], autoescape=False)
    request = RequestFactory().get("/")
    assert engine.from_string("{% url 'portal:dashboard' %}").render(Context({"request": request})) == \
        reverse("portal:dashboard")


def test_the_manifest_storage_computes_each_url_once(tmp_path, settings):
    from core.storage import ManifestStaticFilesStorage

    storage = ManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    storage.hashed_files = {"css/portal.css": "css/portal.0123456789ab.css"}
    with mock.patch("whitenoise.storage.CompressedManifestStaticFilesStorage.url",
                    side_effect=lambda name, force=False: f"/static/{storage.hashed_files[name]}") as parent:
        assert storage.url("css/portal.css") == "/static/css/portal.0123456789ab.css"
        assert storage.url("css/portal.css") == "/static/css/portal.0123456789ab.css"
        assert parent.call_count == 1
        with pytest.raises(KeyError):
            storage.url("missing.css")
        assert "missing.css" not in storage._urls
