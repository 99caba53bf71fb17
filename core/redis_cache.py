"""Django's Redis cache, with one ``redis.Redis`` client per connection pool instead of one per call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis`` object around the
same connection pool on every cache call (about 0.1 ms of Python each: its constructor sets up retries, response
callbacks and the pool's options). A page reads several versions and fragments from the cache, so that is paid a
few times a request. The client is a thin, thread-safe wrapper of its pool (the pool hands each command a
connection, and resets itself in a forked child), so keeping one per pool changes nothing else: same pools, same
commands, same errors (an unreachable Redis still raises on the command, which core/cache.py treats as a miss).

``CACHES = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}`` (config/settings.py).
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
