"""The page benchmark of `manage.py bench_pages` (issue 16): every page under load beside bare Django.

Where it lives, and why here: the command is core's (core/management/commands/bench_pages.py) and knows no
domain app (.importlinter: core knows none), so the pages, their exemptions and the seed of the city are
registered by the apps that own them, each in its ``bench_pages.py`` (registry.py). The floor project is a
separate bare Django project (floor/) served by its own gunicorn; it sits in this package, beside the code that
starts it, and imports nothing of the portal (importing it runs only the empty ``core/__init__.py``). Nothing
here is imported by the portal at run time.

Modules: registry (pages, exemptions, seed steps), runner (the bounded load generator, and why not locust),
stats (percentiles, ratios, PASS/FAIL), servers (throwaway databases, collectstatic, gunicorn), run (one run).
This ``__init__`` imports none of them: the floor's settings are importable without the portal's.
"""
