"""Work done once when the web server loads the portal (config/wsgi.py), before it serves a request."""

import logging
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import engines

logger = logging.getLogger(__name__)


def compile_templates():
    """Compile every template of the project's and the apps' template folders into the cached loader of the
    Django engine (the loader keeps what it compiled for the life of the process). Returns how many.

    A template that does not compile is logged and skipped: its page fails as it would have without this."""
    engine = engines["django"]
    folders = [Path(d) for d in engine.dirs]
    for config in apps.get_app_configs():
        folder = Path(config.path) / "templates"
        if folder.is_dir():
            folders.append(folder)
    done = 0
    for folder in folders:
        for path in sorted(folder.rglob("*.html")) + sorted(folder.rglob("*.txt")):
            name = path.relative_to(folder).as_posix()
            try:
                engine.get_template(name)
            except Exception:  # noqa: BLE001 - a broken template must not keep the server from starting
                logger.warning("template %s not compiled at start-up", name, exc_info=settings.DEBUG)
                continue
            done += 1
    return done


def load_code():
    """Import and build, once in the gunicorn master, what Django otherwise loads on a worker's first request: the
    URLconf with every app's views (and what they import: Pillow, the HEIF plugin, the API), the resolvers' reverse
    maps, the context processors, the message storage, the cache backend's module, the translation catalogues and
    locale formats of every language, and the static files' manifest. A fresh worker (every one gunicorn forks
    after ``max_requests``) served its first page in 0.7-1.3 s without it, 0.04-0.4 s after (measured in process).

    Nothing here opens a connection: a database connection or a Redis client made in the master would be shared
    by the forked workers."""
    from importlib import import_module

    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.urls import get_resolver
    from django.utils import formats, translation
    from django.utils.module_loading import import_string

    def populate(resolver):  # a resolver's reverse map is built per language, for it and its namespaces
        resolver.reverse_dict  # noqa: B018 - imports the URLconf and every included one, and maps every name
        for _prefix, sub in list(resolver.namespace_dict.values()):
            populate(sub)

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            populate(get_resolver())
    engines["django"].engine.template_context_processors  # noqa: B018 - imported once, kept by the engine
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    import_module(settings.SESSION_ENGINE)
    for backend in settings.AUTHENTICATION_BACKENDS:
        import_string(backend)
    if "redis" in import_string(settings.CACHES["default"]["BACKEND"]).__module__:
        import_module("redis")  # Django's backend imports the client on its first call (0.1 s of typing)
    from core import navigation

    navigation.portal_entries()  # every app's navigation module, found on first use
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("")
            formats.get_format("DATE_INPUT_FORMATS")
            formats.get_format("DATETIME_FORMAT")
    staticfiles_storage.base_location  # noqa: B018 - the manifest storage reads its manifest when it is set up


def warm_up():
    """What config/wsgi.py runs before the first request (WARM_TEMPLATES=0 skips it): :func:`load_code` and
    :func:`compile_templates`."""
    load_code()
    return compile_templates()
