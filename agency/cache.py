"""Django's Redis cache, keeping one ``redis.Redis`` object per connection pool.

Django builds a new ``redis.Redis`` for every cache call, and its constructor fills a table of
some 170 response callbacks: on the API path (one ``get_many`` and one ``set`` per request) that
cost more CPU than the round trips. ``redis.Redis`` is safe to share, and Django already gives
each thread its own cache object, so keeping the client changes nothing else.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: object = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
