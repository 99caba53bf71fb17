"""One cast per test module: built once inside a transaction that is rolled back when the module ends.

Each test still runs in its own savepoint (pytest-django's ``db``), so a POST case that changes a row
leaves the next test the cast as it was built. Files (evidence, photos, job results) live in one media
folder for the module, which every test of the module points MEDIA_ROOT at.
"""

import pytest
from django.db import transaction

from tests.matrix import roles


@pytest.fixture(scope="module")
def _cast_media(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker, _cast_media):
    from django.conf import settings
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=_cast_media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            CELERY_TASK_ALWAYS_EAGER=True, JOBS_IN_THREADS=False,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", LANGUAGE_CODE="zh-hans"):
        assert settings.MEDIA_ROOT == _cast_media
        with transaction.atomic():
            built = roles.build()
            built.clients = _clients(built)
            built.media_root = _cast_media
            yield built
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _matrix_media(_test_settings, settings, _cast_media):
    settings.MEDIA_ROOT = _cast_media


def _clients(cast):
    """A logged-in client per role, their sessions saved with the cast (logging in per case costs more than
    most pages). 500s are answers to compare, not exceptions."""
    from django.test import Client

    clients = {}
    for role, user in cast.users.items():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients
