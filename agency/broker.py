"""kombu's Redis transport, keeping one ``redis.Redis`` object per channel for its short calls.

kombu's Redis channel builds a new ``redis.Redis`` for each short operation: every message
published (LPUSH), and in the worker every message delivered and acknowledged (the unacked
hash and index). The constructor fills a table of some 170 response callbacks, about 0.1 ms
of CPU, more than the round trip it serves: about 1 ms per task message in a prefork worker.

The channel builds them through its public ``Client`` attribute (``redis.Redis``, or kombu's
prefixed client when ``global_keyprefix`` is set), so this transport wraps that attribute to
hand back the one client it built for the channel's connection pool. ``redis.Redis`` is safe to
share (each command takes a connection from the pool and gives it back), and the pool is the
channel's either way. Clients of the consumer's pool (``asynchronous=True``: BRPOP, pub/sub)
are left as kombu builds them, because kombu keeps its own connection on those objects.

Selected with ``CELERY_BROKER_TRANSPORT`` when the broker is Redis (``agency.settings``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kombu.transport import redis


class _ClientOfPool:
    """Stands in for a channel's ``Client``: the first client built for the channel's own
    (synchronous) pool is kept and returned again; any other call is passed through."""

    def __init__(self, channel: redis.Channel, build: Callable[..., Any]) -> None:
        self.channel = channel
        self.build = build
        self.kept: Any = None

    def __call__(self, *, connection_pool: Any, **kwargs: Any) -> Any:
        if connection_pool is not self.channel.pool:  # the consumer's pool: kombu's own objects
            return self.build(connection_pool=connection_pool, **kwargs)
        kept = self.kept
        if kept is None or kept.connection_pool is not connection_pool:  # a new pool, after close
            kept = self.kept = self.build(connection_pool=connection_pool, **kwargs)
        return kept


class Channel(redis.Channel):
    """kombu's Redis channel whose short calls share one client (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A callable standing in for the class: kombu only ever calls it with keywords.
        self.Client = _ClientOfPool(self, self.Client)  # type: ignore[assignment]


class Transport(redis.Transport):
    Channel = Channel
