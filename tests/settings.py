"""Settings of the test suite: the project's settings plus the apps that exist only for tests.

tests/toyapp plugs into the platform the way a later app will (a record kind, a message kind, scope
links) and must migrate like a real app, so it is installed here, before Django starts, rather
than by a fixture (too late for migrations)."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.toyapp"]  # noqa: F405
