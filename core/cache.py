"""Small reads cached for a short time, for figures every page shows (navigation badges, unread counts).

A cache that fails (Redis unreachable) is a miss, never an error page: the value is computed as if there
were no cache. Keys are forgotten by the writes that change them, after their transaction commits (so a
request running meanwhile cannot store the old value again under the key just forgotten); ``ttl`` bounds what a
missed path, or a cache private to one process (LocMemCache with several workers and no Redis), can show.
"""

import hashlib
import logging
import threading
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

_local = threading.local()


@contextmanager
def snapshot():
    """Within the block, a key read (or computed and stored) through this module is not read from the shared cache
    again: one request's reads of the same version tokens cost one round trip, not one per function that needs
    them (the public form reads the registry's and the deadlines' tokens in one ``get_many``, then the estate and
    the deadlines find them here). A key this module forgets inside the block is dropped from it, so the block's
    own later reads see its writes. Nested blocks share the outer one's reads."""
    outer = getattr(_local, "reads", None)
    if outer is None:
        _local.reads = {}
    try:
        yield
    finally:
        if outer is None:
            _local.reads = None


def _snapshot():
    return getattr(_local, "reads", None)


def cached(key, compute, ttl):
    reads = _snapshot()
    if reads is not None and key in reads:
        return reads[key]
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
    if reads is not None:
        reads[key] = value
    return value


def fragment_key(key):
    """The cache key under which ``{% cached_fragment key %}`` (core/templatetags/portal_forms.py) keeps its rendering
    in this request's language: a view that knows the key may read it ahead with its other keys (``get_many``)."""
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    return f"fragment:{get_language()}:{digest}"


def get_many(keys):
    """``{key: value}`` of the ``keys`` the cache holds, in one round trip (none for keys of the snapshot); an
    unreachable cache holds nothing."""
    reads = _snapshot()
    found = {key: reads[key] for key in keys if key in reads} if reads is not None else {}
    missing = [key for key in keys if key not in found]
    if missing:
        try:
            fetched = cache.get_many(missing)
        except Exception:  # noqa: BLE001
            logger.warning("cache unavailable (get %s)", missing, exc_info=True)
            fetched = {}
        if reads is not None:
            reads.update(fetched)
        found.update(fetched)
    return found


def forget(*keys):
    reads = _snapshot()
    if reads is not None:
        for key in keys:
            reads.pop(key, None)
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


def forget_on_commit(*keys):
    """Delete ``keys`` once the current transaction commits (at once outside one): for a write nothing in its own
    transaction reads back through these keys, e.g. a new row nobody else can see before the commit."""
    transaction.on_commit(lambda: forget(*keys))
