"""Django's Redis cache, keeping one ``redis.Redis`` object per connection pool.

Django builds a new ``redis.Redis`` for every cache call, and its constructor fills a table of
some 170 response callbacks: on the API path (one ``get_many`` and one ``set`` per request) that
cost more CPU than the round trips. ``redis.Redis`` is safe to share, and Django already gives
each thread its own cache object, so keeping the client changes nothing else.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.cache.backends import redis as django_redis


# _get_connection_pool, _client and _serializer are Django's own RedisCacheClient attributes,
# undeclared in django-stubs: the ignores below say so.
class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: object = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def get_many_and_count(
        self, keys: list[str], counter: str, timeout: int
    ) -> tuple[dict[str, Any], int]:
        """MGET ``keys``, INCR ``counter`` and (re)set its expiry: one round trip."""
        pipe = self.get_client(write=True).pipeline(transaction=False)
        pipe.mget(keys)
        pipe.incr(counter)
        pipe.expire(counter, timeout)
        values, count, _ = pipe.execute()
        found = {
            k: self._serializer.loads(v)  # type: ignore[attr-defined]
            for k, v in zip(keys, values, strict=True)
            if v is not None
        }
        return found, int(count)


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def get_many_and_count(
        self, keys: list[str], counter: str, timeout: int
    ) -> tuple[dict[str, Any], int]:
        """``get_many(keys)`` and a counter incremented (created at 1, expiring ``timeout``
        seconds after its last count) in one round trip: authentication's read and the rate
        limit's count together. The counter reads back with ``get`` as an int."""
        names = {self.make_and_validate_key(key): key for key in keys}
        # self._class (set above) makes _cache this module's client.
        found, count = cast(RedisCacheClient, self._cache).get_many_and_count(
            list(names), self.make_and_validate_key(counter), timeout
        )
        return {names[k]: v for k, v in found.items()}, count
