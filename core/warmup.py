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
