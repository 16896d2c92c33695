"""agency.cache.RedisCache: Django's Redis cache, one client object per connection pool."""

from __future__ import annotations

import uuid

from django.conf import settings

from agency.cache import RedisCache
from tests.conftest import require


def redis_cache() -> RedisCache:
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    return RedisCache(settings.REDIS_URL, {})


def test_it_reuses_one_client_per_pool():
    cache = redis_cache()
    assert cache._cache.get_client() is cache._cache.get_client(write=True)


def test_it_reads_and_writes_like_djangos_redis_cache():
    cache = redis_cache()
    key = f"test:{uuid.uuid4().hex}"
    assert cache.add(key, {"a": [1, 2]}, timeout=30)
    assert not cache.add(key, "other", timeout=30)
    assert cache.get_many([key, key + ":absent"]) == {key: {"a": [1, 2]}}
    cache.delete(key)
    assert cache.get(key) is None


def test_it_is_the_configured_backend_with_redis():
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    assert settings.CACHES["default"]["BACKEND"] == "agency.cache.RedisCache"
