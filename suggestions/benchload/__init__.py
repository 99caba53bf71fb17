"""The load benchmark of the suggestion box (``manage.py bench_suggestions``, issue 17's acceptance).

client.py: the clients (form GET + POST with each client's own cookies) and the access-log count;
run.py: one run (throwaway PostgreSQL and Redis, gunicorn for the portal and for a bare Django floor,
A B A B, the count of every accepted submission, the figures); floor_settings.py / floor_urls.py: the
floor, core/benchpages/floor with a form that creates one row. Nothing here is imported by the portal
at run time; this ``__init__`` imports nothing (the floor's settings import it).
"""
