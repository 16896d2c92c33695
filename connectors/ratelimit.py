"""Vendor rate limits shared by every process and machine that calls a vendor.

A bucket holds ``limit.requests`` tokens; a spent token comes back ``limit.per_seconds`` after it
was spent. That is a token bucket whose refill follows the spending (a sliding-window log) rather
than a steady drip: a steady-drip bucket of the same size lets up to twice the limit through in
one window (a full bucket, then a window's refill), which vendors that count per window reject
with 429. This one never admits more than ``requests`` in any ``per_seconds`` window, and its
sustained rate is the same.

Callers *reserve* a slot: the grant time is ``max(now, last grant, N-th latest grant + window)``,
written atomically, and the caller sleeps until it. Grants are therefore first come, first
served, and a sleeping caller never competes again for the slot it was promised. When the slot is
further away than the caller may wait, nothing is reserved and ``RateLimited`` says how long.

With ``REDIS_URL`` the state lives in Redis (one Lua script, Redis's clock, keys expire). Without
it (the embedded default: one machine, several processes) a JSON file per key under
``VAR_DIR/ratelimit`` is read and written under an exclusive ``fcntl.flock``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from connectors.base import RateLimit
from connectors.locked_files import FileStore, shared_backend

__all__ = ["RateLimited", "Unavailable", "acquire", "defer", "peek", "reset"]


class RateLimited(Exception):
    """Taking a token would mean waiting ``retry_after`` seconds, more than the caller may."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.3f}s")
        self.retry_after = retry_after


class Unavailable(Exception):
    """The shared bucket store (Redis, or the state directory) cannot be reached."""


def acquire(
    key: str,
    limit: RateLimit,
    *,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Take one token from bucket ``key``, sleeping until it is ours; returns seconds waited.

    Raises ``RateLimited`` (and reserves nothing) when the token would come later than
    ``max_wait`` seconds from now.
    """
    _check(limit)
    try:
        granted, wait = _backend().reserve(key, limit, max(0.0, max_wait))
    except (OSError, redis.RedisError) as exc:
        raise Unavailable(f"rate-limit store unavailable: {type(exc).__name__}") from exc
    if not granted:
        raise RateLimited(wait)
    if wait > 0:
        sleep(wait)
    return wait


def defer(key: str, limit: RateLimit, seconds: float) -> None:
    """Hold bucket ``key`` shut for ``seconds`` (the vendor said so in a 429): every later
    ``acquire`` is granted no sooner. Costs one token of the window it lands in."""
    _check(limit)
    try:
        _backend().defer(key, limit, max(0.0, seconds))
    except (OSError, redis.RedisError) as exc:
        raise Unavailable(f"rate-limit store unavailable: {type(exc).__name__}") from exc


def peek(key: str, limit: RateLimit) -> int:
    """How many tokens could be taken right now without waiting (for tests and the console)."""
    return _backend().peek(key, limit)


def reset(key: str) -> None:
    """Forget bucket ``key`` (tests; an operator clearing a stuck bucket)."""
    _backend().reset(key)


# --- the grant rule, shared by both backends ------------------------------------------------


def reset_all() -> None:
    """Forget every bucket (tests start from empty buckets; staff may after changing limits)."""
    _backend().reset_all()


def _check(limit: RateLimit) -> None:
    if limit.requests < 1 or limit.per_seconds <= 0:
        raise ValueError(f"a rate limit needs requests >= 1 and a window > 0: {limit!r}")


def _grant_time(grants: list[float], now: float, limit: RateLimit) -> float:
    """When the next token is free, given the grants still inside their window (ascending)."""
    t = max(now, grants[-1]) if grants else now
    if len(grants) >= limit.requests:
        t = max(t, grants[-limit.requests] + limit.per_seconds)
    return t


def _live(grants: list[float], now: float, limit: RateLimit) -> list[float]:
    """The grants that still hold a token (at most the last ``requests`` of them)."""
    kept = [g for g in grants if g + limit.per_seconds > now]
    return kept[-limit.requests :]


# --- Redis ----------------------------------------------------------------------------------

_LUA = """
local key = KEYS[1]
local n_max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local mode = ARGV[4]  -- "reserve", "peek", or "defer" (then max_wait is the hold in seconds)
local tm = redis.call('TIME')
local now = tonumber(tm[1]) + tonumber(tm[2]) / 1000000
-- drop grants whose token has come back
while true do
  local head = redis.call('LINDEX', key, 0)
  if not head or tonumber(head) + window > now then break end
  redis.call('LPOP', key)
end
local n = redis.call('LLEN', key)
if mode == 'defer' then
  local until_t = now + max_wait
  local last = n > 0 and tonumber(redis.call('LINDEX', key, -1)) or 0
  if until_t > last then
    redis.call('RPUSH', key, string.format('%.6f', until_t))
    redis.call('LTRIM', key, -n_max, -1)
    redis.call('PEXPIRE', key, math.ceil((max_wait + window) * 1000) + 1000)
  end
  return {1, '0', n}
end
local t = now
if n > 0 then
  local last = tonumber(redis.call('LINDEX', key, -1))
  if last > t then t = last end
end
if n >= n_max then
  local nth = tonumber(redis.call('LINDEX', key, -n_max))
  if nth + window > t then t = nth + window end
end
local wait = t - now
if mode == 'peek' then
  if wait > 0 then return {0, tostring(wait), n} end
  return {1, '0', n}
end
if wait > max_wait then return {0, tostring(wait), n} end
redis.call('RPUSH', key, string.format('%.6f', t))
redis.call('LTRIM', key, -n_max, -1)
redis.call('PEXPIRE', key, math.ceil((wait + window) * 1000) + 1000)
return {1, tostring(wait), n}
"""


class _RedisBuckets:
    """Buckets as Redis lists of grant times, changed only inside one Lua script."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_LUA)

    def _run(self, key: str, limit: RateLimit, seconds: float, mode: str) -> list:
        return self.script(keys=[key], args=[limit.requests, limit.per_seconds, seconds, mode])

    def reserve(self, key: str, limit: RateLimit, max_wait: float) -> tuple[bool, float]:
        granted, wait, _ = self._run(key, limit, max_wait, "reserve")
        return bool(granted), float(wait)

    def defer(self, key: str, limit: RateLimit, seconds: float) -> None:
        self._run(key, limit, seconds, "defer")

    def peek(self, key: str, limit: RateLimit) -> int:
        free_now, _, live = self._run(key, limit, 0.0, "peek")
        return max(0, limit.requests - int(live)) if free_now else 0

    def reset(self, key: str) -> None:
        self.client.delete(key)

    def reset_all(self) -> None:
        for key in self.client.scan_iter(match="rl:*", count=500):
            self.client.delete(key)


# --- files (no Redis) -----------------------------------------------------------------------


class _FileBuckets(FileStore):
    """One JSON file per bucket, read-modify-written under an exclusive ``flock``.

    ``flock`` serialises processes on one machine, which is what the embedded mode is; the
    wall clock (``time.time``) is shared by those processes.
    """

    def _locked(self, key: str, change: Callable[[list[float], float], list[float] | None]) -> None:
        """Run ``change(grants, now)`` under the key's lock; a list it returns is stored."""

        def on_file(stored: object, now: float) -> dict[str, list[float]] | None:
            try:
                grants = [float(g) for g in stored["grants"]] if isinstance(stored, dict) else []
            except (ValueError, KeyError, TypeError):
                grants = []  # a torn or foreign file: start the bucket afresh
            new = change(grants, now)
            return None if new is None else {"grants": new}

        self.files.update(key, on_file)

    def reserve(self, key: str, limit: RateLimit, max_wait: float) -> tuple[bool, float]:
        result: list[tuple[bool, float]] = []

        def change(grants: list[float], now: float) -> list[float] | None:
            grants = _live(grants, now, limit)
            wait = _grant_time(grants, now, limit) - now
            if wait > max_wait:
                result.append((False, wait))
                return None
            result.append((True, wait))
            return [*grants, now + wait][-limit.requests :]

        self._locked(key, change)
        return result[0]

    def defer(self, key: str, limit: RateLimit, seconds: float) -> None:
        def change(grants: list[float], now: float) -> list[float] | None:
            grants = _live(grants, now, limit)
            if grants and grants[-1] >= now + seconds:
                return None
            return [*grants, now + seconds][-limit.requests :]

        self._locked(key, change)

    def peek(self, key: str, limit: RateLimit) -> int:
        seen: list[int] = []

        def change(grants: list[float], now: float) -> None:
            live = _live(grants, now, limit)
            free = limit.requests - len(live)
            seen.append(0 if live and live[-1] > now else max(0, free))

        self._locked(key, change)
        return seen[0]


# --- backend choice -------------------------------------------------------------------------


def _backend() -> _RedisBuckets | _FileBuckets:
    """Redis when ``REDIS_URL`` is set, else files under ``VAR_DIR/ratelimit``."""
    return shared_backend("ratelimit", _RedisBuckets, _FileBuckets)
