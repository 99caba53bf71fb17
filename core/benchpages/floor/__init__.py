"""The bare Django 5.2 project the page benchmark measures the portal against (its floor).

Nothing of the portal: its own settings (startproject's, with DEBUG off and the portal's database settings:
PostgreSQL, CONN_MAX_AGE=60 and health checks), one model of a few plain columns, a ListView of 50 rows and
the admin changelist of 100 rows, served by gunicorn with the portal's own config/gunicorn.py. What a page of
ours costs above these is our code, not Django's or the server's.

    DJANGO_SETTINGS_MODULE=core.benchpages.floor.settings FLOOR_DB_NAME=… python -m core.benchpages.floor.seed 1000
    DJANGO_SETTINGS_MODULE=core.benchpages.floor.settings gunicorn -c config/gunicorn.py core.benchpages.floor.wsgi
"""
