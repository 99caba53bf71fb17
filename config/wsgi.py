import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Load the code and compile every template now: in the gunicorn master (preload_app, config/gunicorn.py) each
# worker is forked with them loaded, so neither a new worker's first requests nor a recycled one's pay for them
# (core/warmup.py). WARM_TEMPLATES=0 skips.
if os.environ.get("WARM_TEMPLATES", "1") != "0":
    from core.warmup import warm_up

    warm_up()
