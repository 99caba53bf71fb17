import os

import pytest

# Tests never depend on a developer's .env or a running broker unless CI asks for it.
os.environ.setdefault("EMBEDDED", "1")
os.environ.setdefault("ENV_FILE", os.devnull)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "zh-hans"
    # Long jobs run eagerly inside job_start in tests (done when it returns); the background-thread
    # runner of the embedded default has its own tests (tests/test_jobs.py).
    settings.JOBS_IN_THREADS = False


@pytest.fixture(autouse=True)
def _fresh_local_cache(request, settings):
    """Each test starts with an empty cache of its own: a badge cached by one test must not show in the next
    (whose rows may reuse the same ids on SQLite), nor in another xdist worker's test. A Redis cache (.ci/run's
    PostgreSQL run) would be shared by the workers, and flushing it could empty the broker's server, so tests
    get a per-process cache instead (Django resets the cache connections when CACHES changes); the integration
    tests and the production processes of .ci/run run against the real Redis."""
    import uuid

    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    elif request.node.get_closest_marker("integration") is None:
        settings.CACHES = {**settings.CACHES, "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _celery_in_process(request, settings):
    """Celery tasks run in-process in tests even when REDIS_URL is set (.ci/run's PostgreSQL run sets it for the
    Redis cache and /healthz); only the integration tests use a real broker and worker. The Celery app reads this
    setting live, so a test may still set it back to False."""
    if request.node.get_closest_marker("integration") is None:
        settings.CELERY_TASK_ALWAYS_EAGER = True


class World:
    """Two districts of one city, each with a street, a firm and estates, and a user of
    every role: the cast of the scoping tests (alice owns, charlie is the outsider)."""


@pytest.fixture
def world(db):
    from accounts.models import User
    from tests import factories as f

    w = World()
    w.city = f.CityFactory(name="宁波市住建委")
    w.district = f.DistrictFactory(name="海曙区住建局", parent=w.city)
    w.other_district = f.DistrictFactory(name="江北区住建局", parent=w.city)
    w.street = f.StreetFactory(name="月湖街道", parent=w.district)
    w.other_street = f.StreetFactory(name="南门街道", parent=w.district)
    w.far_street = f.StreetFactory(name="孔浦街道", parent=w.other_district)
    w.community = f.CommunityFactory(name="月湖社区", parent=w.street)
    w.firm = f.FirmFactory(name="月湖物业", district=w.district, grade=1)
    w.other_firm = f.FirmFactory(name="孔浦物业", district=w.other_district, grade=3)
    w.estate = f.EstateFactory(code="HS001", name="月湖花园", street=w.street, community=w.community, firm=w.firm)
    w.estate2 = f.EstateFactory(code="HS002", name="南门小区", street=w.other_street, firm=w.firm, year_built=1990)
    w.other_estate = f.EstateFactory(code="JB001", name="孔浦新村", street=w.far_street, firm=w.other_firm)
    w.city_user = f.UserFactory(username="city", agency=w.city, role=User.Role.MANAGER)
    w.district_user = f.UserFactory(username="district", agency=w.district, role=User.Role.MANAGER)
    w.other_district_user = f.UserFactory(username="other-district", agency=w.other_district)
    w.street_user = f.UserFactory(username="street", agency=w.street)
    w.firm_user = f.UserFactory(username="firm", firm=w.firm)
    w.other_firm_user = f.UserFactory(username="other-firm", firm=w.other_firm)
    return w


@pytest.fixture
def cache_reads(monkeypatch):
    """The shared cache's reads (get, get_many), one entry per round trip: the list grows as requests read."""
    from django.core.cache import caches

    cache = caches["default"]  # the backend itself, not the proxy: the test's own cache (see _fresh_local_cache)
    seen, depth = [], []
    for name in ("get", "get_many"):
        original = getattr(cache, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            if not depth:  # LocMemCache's get_many calls its own get: one round trip, counted once
                seen.append((_name, args[0]))
            depth.append(_name)
            try:
                return _original(*args, **kwargs)
            finally:
                depth.pop()

        monkeypatch.setattr(cache, name, spy)
    return seen
