"""The per-key request rate: a sliding-window counter, counted in authentication's round trip.

DRF's ``SimpleRateThrottle`` keeps every request's timestamp in one cache entry, read and
rewritten on every call: at 1,200 requests a minute that is a pickled list of 1,200 floats
each way, and a second round trip. Here each fixed window is one integer, incremented with
INCR in the same round trip that reads the API key (``RedisCache.get_many_and_count``).

The estimate is the usual sliding-window approximation: the previous window's count, weighted
by how much of it still lies in the last ``duration`` seconds, plus the current window's count.
Every attempt counts, refused ones included, so a client that keeps hammering while limited
stays limited until it slows down.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache


@dataclass(frozen=True)
class Window:
    """Where ``now`` falls: the current and previous windows' cache keys, and how far in."""

    current: str
    previous: str
    elapsed: float
    duration: int


def window(prefix: str, duration: int, now: float | None = None) -> Window:
    now = time.time() if now is None else now
    index = int(now // duration)
    return Window(f"{prefix}:{index}", f"{prefix}:{index - 1}", now - index * duration, duration)


@dataclass(frozen=True)
class Count:
    """A counted request: the previous window's total and the current one's, this included."""

    previous: int
    current: int
    where: Window

    def estimate(self) -> float:
        overlap = (self.where.duration - self.where.elapsed) / self.where.duration
        return self.previous * overlap + self.current

    def allowed(self, limit: int) -> bool:
        return self.estimate() <= limit

    def wait(self, limit: int) -> float:
        """Seconds until a request would be allowed again (at least 1), if nothing is sent."""
        left = self.where.duration - self.where.elapsed
        if self.current > limit or self.previous == 0:
            # Only the next window can help; then this window's count is the weighted one.
            weighted = self.current - limit
            extra = self.where.duration * weighted / self.current if self.current else 0.0
            return max(1.0, math.ceil(left + max(extra, 0.0)))
        # Within this window: wait until the previous window's weight has shrunk enough.
        needed = (self.estimate() - limit) * self.where.duration / self.previous
        return max(1.0, math.ceil(min(needed, left)))


def read_and_count(keys: list[str], where: Window) -> tuple[dict[str, Any], Count]:
    """``cache.get_many(keys + [previous window])`` and this request counted in the current
    window: one round trip on Redis; a read and an increment on other cache backends."""
    names = [*keys, where.previous]
    timeout = 2 * where.duration + 1  # the window is read as "previous" for one more window
    counting = getattr(cache, "get_many_and_count", None)
    if counting is not None:
        found, current = counting(names, where.current, timeout)
    else:
        found = cache.get_many(names)
        cache.add(where.current, 0, timeout)
        try:
            current = cache.incr(where.current)
        except ValueError:  # expired between the two calls
            cache.set(where.current, 1, timeout)
            current = 1
    previous = found.pop(where.previous, 0)
    return found, Count(int(previous or 0), current, where)
