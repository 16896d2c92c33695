"""Vendor concurrency limits shared by every process and machine that calls a vendor.

Some vendors cap how many requests may be *in flight* at once, not only how many per window:
Microsoft Graph allows 4 concurrent requests per app per mailbox ("Outlook service limits",
learn.microsoft.com/graph/throttling-limits, checked 2026-12-05) and answers a fifth with 429
"Application is over its MailboxConcurrency limit". A rate bucket cannot keep that: eight
workers may all hold a token at the same moment. Here a caller takes one of ``slots`` *slots*
of a key for the length of one attempt, and gives it back when the answer is in.

Every slot is a *lease*: it carries an expiry (``lease_seconds``, longer than an attempt can
last), so a worker that dies holding one (SIGKILL, OOM, a lost machine) cannot keep it past
that; the next caller drops expired slots before counting.

With ``REDIS_URL`` the slots of a key are a Redis sorted set (member: a random holder mark;
score: its expiry on Redis's clock), changed only inside one Lua script. Without it (the
embedded default, SQLite and local memory: one machine) a JSON file per key under
``VAR_DIR/concurrency`` is read and written under an exclusive ``fcntl.flock``, as the rate
buckets do (``connectors.ratelimit``).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable

import redis

from connectors.locked_files import FileStore, shared_backend
from connectors.ratelimit import Unavailable

__all__ = [
    "ConcurrencyLimited", "Unavailable", "acquire", "in_use", "release", "reset", "reset_all",
]  # fmt: skip

POLL_S = 0.05  # a waiter asks again every 50-100 ms (jittered, so waiters do not ask in step)


class ConcurrencyLimited(Exception):
    """Every slot stayed taken for as long as the caller could wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"concurrency limit reached; retry after {retry_after:.3f}s")
        self.retry_after = retry_after


def acquire(
    key: str,
    slots: int,
    *,
    lease_seconds: float,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[str, float]:
    """Take one of ``slots`` slots of ``key`` for at most ``lease_seconds``, waiting up to
    ``max_wait`` seconds for one to come free; returns (holder mark for ``release``, seconds
    waited). Raises ``ConcurrencyLimited`` (holding nothing) when none came free in time."""
    if slots < 1 or lease_seconds <= 0:
        raise ValueError(
            f"a concurrency limit needs slots >= 1 and a lease > 0: {slots}, {lease_seconds}"
        )
    holder = secrets.token_hex(12)
    started = clock()
    while True:
        try:
            taken, soonest = _backend().take(key, holder, slots, lease_seconds)
        except (OSError, redis.RedisError) as exc:
            raise Unavailable(f"concurrency store unavailable: {type(exc).__name__}") from exc
        waited = clock() - started
        if taken:
            return holder, waited
        if waited >= max_wait:
            # A slot frees when its call answers (usually well before its lease ends).
            raise ConcurrencyLimited(max(1.0, min(soonest, 5.0)))
        pause = POLL_S + random.random() * POLL_S  # jitter, not a secret
        sleep(min(pause, max(0.0, max_wait - waited) + 0.001))


def release(key: str, holder: str) -> None:
    """Give the slot back (a no-op if its lease already ran out and someone took it)."""
    try:
        _backend().give_back(key, holder)
    except (OSError, redis.RedisError) as exc:  # the lease runs out on its own
        raise Unavailable(f"concurrency store unavailable: {type(exc).__name__}") from exc


def in_use(key: str) -> int:
    """How many slots of ``key`` are held now (for tests and the console)."""
    return _backend().count(key)


def reset(key: str) -> None:
    """Forget every slot of ``key`` (tests; an operator clearing a stuck key)."""
    _backend().reset(key)


def reset_all() -> None:
    """Forget every slot of every key (tests start with every slot free)."""
    _backend().reset_all()


# --- Redis ----------------------------------------------------------------------------------

_TAKE = """
local key = KEYS[1]
local slots = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local holder = ARGV[3]
local tm = redis.call('TIME')
local now = tonumber(tm[1]) + tonumber(tm[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) < slots then
  redis.call('ZADD', key, now + lease, holder)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, math.ceil(tonumber(last[2]) * 1000) + 1000)
  return {1, '0'}
end
local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(first[2]) - now)}
"""
_COUNT = """
local tm = redis.call('TIME')
local now = tonumber(tm[1]) + tonumber(tm[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""


class _RedisSlots:
    """Slots as a Redis sorted set of holder marks scored by their lease's end."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.take_script = self.client.register_script(_TAKE)
        self.count_script = self.client.register_script(_COUNT)

    def take(self, key: str, holder: str, slots: int, lease: float) -> tuple[bool, float]:
        taken, soonest = self.take_script(keys=[key], args=[slots, lease, holder])
        return bool(taken), float(soonest)

    def give_back(self, key: str, holder: str) -> None:
        self.client.zrem(key, holder)

    def count(self, key: str) -> int:
        return int(self.count_script(keys=[key]))

    def reset(self, key: str) -> None:
        self.client.delete(key)

    def reset_all(self) -> None:
        for key in self.client.scan_iter(match="cc:*", count=500):
            self.client.delete(key)


# --- files (no Redis) -----------------------------------------------------------------------


class _FileSlots(FileStore):
    """One JSON file per key ({holder: lease end}), read-modify-written under ``flock``."""

    def _locked(self, key: str, change: Callable[[dict[str, float], float], bool]) -> None:
        """Run ``change(live slots, now)`` under the key's lock; stored if it returns True."""

        def on_file(stored: object, now: float) -> dict[str, float] | None:
            try:
                held = (
                    {str(k): float(v) for k, v in stored.items()}
                    if isinstance(stored, dict)
                    else {}
                )
            except (ValueError, TypeError):
                held = {}  # a torn or foreign file: every slot free
            live = {k: v for k, v in held.items() if v > now}
            changed = change(live, now) or len(live) != len(held)
            return live if changed else None

        self.files.update(key, on_file)

    def take(self, key: str, holder: str, slots: int, lease: float) -> tuple[bool, float]:
        result: list[tuple[bool, float]] = []

        def change(live: dict[str, float], now: float) -> bool:
            if len(live) < slots:
                live[holder] = now + lease
                result.append((True, 0.0))
                return True
            result.append((False, min(live.values()) - now))
            return False

        self._locked(key, change)
        return result[0]

    def give_back(self, key: str, holder: str) -> None:
        self._locked(key, lambda live, _now: live.pop(holder, None) is not None)

    def count(self, key: str) -> int:
        seen: list[int] = []

        def change(live: dict[str, float], _now: float) -> bool:
            seen.append(len(live))
            return False

        self._locked(key, change)
        return seen[0]


# --- backend choice -------------------------------------------------------------------------


def _backend() -> _RedisSlots | _FileSlots:
    """Redis when ``REDIS_URL`` is set, else files under ``VAR_DIR/concurrency``."""
    return shared_backend("concurrency", _RedisSlots, _FileSlots)
