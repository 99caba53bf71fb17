"""Small reads cached for a short time, for figures every page shows (navigation badges, unread counts).

A cache that fails (Redis unreachable) is a miss, never an error page: the value is computed as if there
were no cache. Keys are forgotten by the writes that change them, after their transaction commits (so a
request running meanwhile cannot store the old value again under the key just forgotten); ``ttl`` bounds what a
missed path, or a cache private to one process (LocMemCache with several workers and no Redis), can show.
"""

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def cached(key, compute, ttl):
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreachable cache must not take the page down
        logger.warning("cache unavailable (get %s)", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, ttl)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable (set %s)", key, exc_info=True)
    return value


def forget(*keys):
    try:
        cache.delete_many(list(keys))
    except Exception:  # noqa: BLE001
        logger.warning("cache unavailable (delete %s)", keys, exc_info=True)


def forget_now_and_on_commit(*keys):
    """Delete ``keys`` now and again once the current transaction commits: now, so that this transaction's own
    later reads see its write; after the commit, so that what another request cached meanwhile (the old value,
    read before the commit) is gone too."""
    forget(*keys)
    transaction.on_commit(lambda: forget(*keys))
