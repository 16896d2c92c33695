"""The shared cache on Redis keeps its client: Django's own Redis backend built a
``redis.Redis`` (with its table of response callbacks) for every call, on every API request's
authentication and every CRM job's property catalogue."""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.cache import caches

from tests.conftest import require


def test_cache_calls_on_redis_build_no_client_each(monkeypatch):
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    cache = caches["default"]
    cache.set("test:kept", {"a": 1}, 30)
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for _ in range(10):
        assert cache.get_many(["test:kept", "test:absent"]) == {"test:kept": {"a": 1}}
        assert cache.get("test:kept") == {"a": 1}
        cache.set("test:other", 1, 30)
    cache.delete_many(["test:kept", "test:other"])
    assert built == []
