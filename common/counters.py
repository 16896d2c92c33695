"""Exact shared counters in the default cache, on every backend.

Redis's INCR is atomic, but Django's ``FileBasedCache`` increments by a read and a write
(``BaseCache.incr``), and its ``add`` is a check then a write: two processes counting at once
can both read 1 and both write 2, so two requests took the last long-poll slot of a key
(``syncs.intake.long_poll``) and failed authentications went uncounted
(``tenants.api_auth``). On the
file cache the read and the write are therefore done under one OS file lock shared by every
process on the machine (the file cache is only ever shared by processes of one machine).

On the file cache every change also sets the counter's expiry to ``timeout`` from now (Django's
own ``incr`` there reset it to the cache's default timeout); on Redis the expiry is set when the
counter is created (or refreshed with ``touch``), as before.

``count_in_window`` serves the per-key request rate, counted on every API call: on Redis it is
one pipelined round trip (INCR, EXPIRE, GET) through redis-py's own client, kept per process,
where the cache API takes four round trips.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django_redis.cache import RedisCache as DjangoRedisCache
from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

# A holder does two small file operations; a wait this long means something is stuck.
LOCK_WAIT_S = 5.0


def add_to_counter(name: str, delta: int, *, timeout: int, create: bool = True) -> int | None:
    """Add ``delta`` to counter ``name`` of the default cache and return its new value.

    A missing (or expired) counter starts from 0 when ``create``; else nothing is written and
    None is returned (a release of a slot whose counter already expired)."""
    cache = caches["default"]
    if isinstance(cache, FileBasedCache):
        path = settings.VAR_DIR / "locks" / "cache-counters.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), timeout=LOCK_WAIT_S, thread_local=False, is_singleton=False)
        try:
            with lock:
                current = cache.get(name)
                if current is None and not create:
                    return None
                value = int(current or 0) + delta
                cache.set(name, value, timeout=timeout)
                return value
        except Timeout:
            # Counting approximately beats refusing the request: these counters are bounds.
            log.warning("cache counter lock busy for %ss; counting without it", LOCK_WAIT_S)
    if create:
        cache.add(name, 0, timeout=timeout)
    try:
        return cache.incr(name, delta)
    except ValueError:  # missing, or expired between the two calls
        if not create:
            return None
        cache.set(name, delta, timeout=timeout)
        return delta


@lru_cache(maxsize=4)
def _redis_at(location: str) -> redis.Redis:
    """One client per Redis URL and process (redis-py's pool reconnects after a fork)."""
    return redis.Redis.from_url(location)


def _redis_of_default_cache() -> redis.Redis | None:
    """A redis-py client for the default cache's server when that cache is Redis, else None."""
    if not isinstance(caches["default"], RedisCache | DjangoRedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    return _redis_at(location if isinstance(location, str) else location[0])


def count_in_window(current: str, previous: str, *, timeout: int) -> tuple[int, int]:
    """Add 1 to counter ``current`` (expiring ``timeout`` seconds after this count) and read
    counter ``previous``: returns (previous, current), both counted exactly.

    On Redis the counters are plain Redis integers under these names, outside Django's key
    scheme (only this function reads them); elsewhere they are ``add_to_counter``'s."""
    client = _redis_of_default_cache()
    if client is None:
        value = add_to_counter(current, 1, timeout=timeout)
        return int(caches["default"].get(previous) or 0), int(value or 1)
    pipe = client.pipeline(transaction=False)
    pipe.incr(current)
    pipe.expire(current, timeout)
    pipe.get(previous)
    count, _, earlier = pipe.execute()
    return int(earlier or 0), int(count)
