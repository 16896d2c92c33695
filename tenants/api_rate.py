"""The per-key request rate: a DRF throttle whose counts are atomic increments.

DRF's ``SimpleRateThrottle`` keeps a key's request timestamps in one cache entry, read and
written back by each request: two web processes serving one key at once both read the same
list, one timestamp is lost, and a burst spread over workers got past the limit. Here each
window of ``duration`` seconds is one integer counter in the shared cache, incremented
atomically (``common.counters.count_in_window``: Redis's INCR, in one pipelined round trip
with the previous window's read, or a file lock around the file cache's read and write). The
limit is checked on the usual sliding-window estimate: the previous window's count, weighted
by how much of it still lies in the last ``duration`` seconds, plus the current window's.
Every attempt counts, refused ones included, so a client that keeps hammering while limited
stays limited until it slows down.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from common.counters import count_in_window
from tenants.api_auth import ClientPrincipal


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


def count_request(prefix: str, duration: int, now: float | None = None) -> Count:
    """Count one request in the current window of ``prefix`` and read the previous one."""
    where = window(prefix, duration, now)
    # The current window is read as "previous" for one more window.
    previous, current = count_in_window(where.current, where.previous, timeout=2 * duration + 1)
    return Count(previous, current, where)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Per-key request rate (``API_THROTTLE_RATE``), keyed by the API key's hash."""

    scope = "api_key"
    cache_format = "throttle:%(scope)s:%(ident)s"
    # Set by SimpleRateThrottle.__init__ from parse_rate (undeclared in the DRF stubs); used only
    # when a rate is set.
    num_requests: int
    duration: int

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.user, ClientPrincipal):
            return None  # the permission refuses it; nothing to count
        return self.cache_format % {"scope": self.scope, "ident": request.user.api_key.key_hash}

    def allow_request(self, request: Request, view: object) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.count = count_request(self.key, self.duration)
        return self.count.allowed(self.num_requests)

    def wait(self) -> float | None:
        return self.count.wait(self.num_requests)
