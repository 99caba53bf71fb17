"""core/redis_cache.py: one redis client per pool, and still Django's Redis cache in every other way."""

import pytest
import redis

from core.redis_cache import RedisCache


def backend(location="redis://127.0.0.1:6379/14"):
    return RedisCache(location, {})


def test_one_client_per_pool_for_reads_and_writes():
    cache = backend()
    first = cache._cache.get_client("a")
    assert cache._cache.get_client("b") is first
    assert cache._cache.get_client("c", write=True) is first  # one server: the same pool for both
    assert isinstance(first, redis.Redis) and first.connection_pool is cache._cache._get_connection_pool(False)


def test_replicas_keep_a_client_each():
    cache = backend("redis://127.0.0.1:6379/14,redis://127.0.0.1:6379/13")
    write = cache._cache.get_client("a", write=True)
    read = cache._cache.get_client("a")
    assert write is not read
    assert cache._cache.get_client("b", write=True) is write and cache._cache.get_client("b") is read
    assert write.connection_pool.connection_kwargs["db"] == 14 and read.connection_pool.connection_kwargs["db"] == 13


def test_an_unreachable_server_still_raises_on_the_command():
    cache = backend("redis://127.0.0.1:1/0")
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")  # the kept client does not hide a second failure either


def test_values_go_and_come_back_through_the_kept_client():
    cache = backend()
    try:
        cache._cache.get_client().ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (the PostgreSQL + Redis run of .ci/run has one)")
    cache.set("core-redis-cache-test", {"a": [1, 2]}, 30)
    assert cache.get("core-redis-cache-test") == {"a": [1, 2]}
    assert cache.get_many(["core-redis-cache-test", "missing"]) == {"core-redis-cache-test": {"a": [1, 2]}}
    cache.delete("core-redis-cache-test")
    assert cache.get("core-redis-cache-test") is None
