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
