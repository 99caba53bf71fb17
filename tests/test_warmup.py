"""The web server compiles every template when it loads the portal (config/wsgi.py, core/warmup.py), so forked
gunicorn workers (preload_app, config/gunicorn.py) serve their first requests without compiling them."""

from django.template import engines

from core.warmup import compile_templates


def test_every_template_is_compiled_into_the_cached_loader():
    count = compile_templates()
    assert count > 150
    loader = engines["django"].engine.template_loaders[0]
    assert loader.__class__.__name__ == "Loader" and loader.__module__ == "django.template.loaders.cached"
    assert any(str(key).startswith("portal/base.html") for key in loader.get_template_cache)


def test_a_broken_template_is_skipped_not_fatal(tmp_path, settings, caplog):
    (tmp_path / "broken.html").write_text("{% if %}", encoding="utf-8")
    # Changing TEMPLATES makes Django build its engines again (django.test.signals), with the broken one first.
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    assert compile_templates() > 150
    assert "broken.html" in caplog.text


def test_gunicorn_preloads_the_app():
    import runpy

    config = runpy.run_path("config/gunicorn.py")
    assert config["preload_app"] is True


def test_the_code_a_first_request_needs_is_loaded_without_a_connection():
    """core.warmup.load_code (run in the gunicorn master by config/wsgi.py): the URLconf and its views, the reverse
    maps of every language, the navigation registry; no query (a connection made in the master would be shared
    by the forked workers: this test has no database access, pytest-django refuses any)."""
    import sys

    from django.urls import get_resolver
    from django.utils import translation

    from core.warmup import load_code

    load_code()
    assert "suggestions.portal_views" in sys.modules and "campaigns.views" in sys.modules
    resolver = get_resolver()
    for code in ("zh-hans", "en"):
        with translation.override(code):
            assert translation.get_language() in resolver._reverse_dict
