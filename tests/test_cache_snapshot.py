"""core.cache.snapshot: inside the block a key is read from the shared cache once; a key forgotten inside the
block is read again; outside it every read goes to the cache; an unreachable cache is a miss, never an error."""

import pytest
from django.core.cache import cache as django_cache

from core import cache


@pytest.fixture
def calls(cache_reads):
    django_cache.clear()
    return cache_reads


def test_a_key_is_read_once_inside_the_block(calls):
    django_cache.set("a", 1)
    with cache.snapshot():
        assert cache.get_many(["a", "b"]) == {"a": 1}
        assert cache.cached("a", lambda: 2, 60) == 1
        assert cache.get_many(["a"]) == {"a": 1}
    assert calls == [("get_many", ["a", "b"])]


def test_a_computed_value_is_kept_for_the_block(calls):
    with cache.snapshot():
        assert cache.cached("c", lambda: "fresh", 60) == "fresh"
        assert cache.cached("c", lambda: "other", 60) == "fresh"
    assert calls == [("get", "c")]
    assert django_cache.get("c") == "fresh"


def test_a_key_forgotten_inside_the_block_is_read_again(calls):
    django_cache.set("v", "old")
    with cache.snapshot():
        assert cache.cached("v", lambda: "x", 60) == "old"
        cache.forget("v")
        assert cache.cached("v", lambda: "new", 60) == "new"
        assert cache.get_many(["v"]) == {"v": "new"}
    assert [name for name, _key in calls] == ["get", "get"]


def test_outside_a_block_every_read_goes_to_the_cache(calls):
    django_cache.set("a", 1)
    cache.cached("a", lambda: 2, 60)
    cache.cached("a", lambda: 2, 60)
    with cache.snapshot():
        cache.cached("a", lambda: 2, 60)
    cache.cached("a", lambda: 2, 60)
    assert len(calls) == 4


def test_nested_blocks_share_the_outer_reads_and_end_with_it(calls):
    django_cache.set("a", 1)
    with cache.snapshot():
        cache.cached("a", lambda: 2, 60)
        with cache.snapshot():
            cache.cached("a", lambda: 2, 60)
        cache.cached("a", lambda: 2, 60)  # the inner block's end did not drop the outer reads
    assert len(calls) == 1
    cache.cached("a", lambda: 2, 60)
    assert len(calls) == 2


def test_an_unreachable_cache_is_a_miss(monkeypatch):
    from django.core.cache import caches

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(caches["default"], "get_many", down)
    monkeypatch.setattr(caches["default"], "get", down)
    with cache.snapshot():
        assert cache.get_many(["a"]) == {}
        assert cache.cached("a", lambda: "computed", 60) == "computed"


def test_prefetch_reads_the_shells_keys_with_the_pages_in_one_round_trip(calls, rf, monkeypatch):
    """core.navigation.prefetch: the badges' keys (``badge_keys``) and the shell's (``register_page_keys``) beside
    the page's own, in one read; the badge then finds its value in the snapshot."""
    from core import navigation

    monkeypatch.setattr(navigation, "_portal", {})
    monkeypatch.setattr(navigation, "_page_keys", {})
    monkeypatch.setattr(navigation, "_discovered", True)
    navigation.register_portal_nav(5, "suggestions:inbox", "意见箱", badge_keys=lambda r: ["badge"],
                                   badge=lambda r: cache.cached("badge", lambda: 0, 60))
    navigation.register_page_keys("bell", lambda r: ["bell"])
    django_cache.set_many({"badge": 3, "bell": 1, "version": "v1"})
    request = rf.get("/")
    with cache.snapshot():
        navigation.prefetch(request, "version")
        assert [entry["badge"] for entry in navigation.portal_nav(request)] == [3]
        assert cache.cached("bell", lambda: 0, 60) == 1 and cache.cached("version", lambda: "", 60) == "v1"
    assert calls == [("get_many", ["badge", "bell", "version"])]
