"""Vendor rate limits shared by every process and machine that calls a vendor.

A vendor that allows ``requests`` calls per ``per_seconds`` counts each call when it *arrives*;
we never see that moment. We know two times that bracket it: the call left after we granted it,
and it had arrived before its answer came back. So a bucket keeps, for every call, its grant
and then its *answer time*, and call number ``m`` may leave only once every call up to
``m - requests`` has answered and the latest of those answers is a full window old:

    leave(m) >= max(answer(j) for j <= m - requests) + per_seconds

Then no window of ``per_seconds`` ever holds more than ``requests`` arrivals, however late the
calls reach the vendor (a thread woken late, a queue on either side): of any ``requests + 1``
calls, the one numbered highest left a window after the lowest one's answer, which came after
its arrival. No margin is added to the vendor's window and none is needed; the price is each
call's own round trip, paid once per slot and window.

Callers *reserve*: the grant is ``max(now, last grant, bound)``, written atomically, and the
caller sleeps until it, so grants are first come, first served and a sleeper never competes
again for its slot. When the calls the bound depends on have all answered, the grant is exact
and final. When one is still out (a reservation more than a window minus a round trip ahead),
the grant is the earliest it can be, and the caller *confirms* at its grant, waiting again until
the bound is known and passed. ``take`` does all of that and returns a ``Ticket``; ``done``
records the answer time. A call whose ``done`` never comes (its worker died) is counted as
answered at its lease's end; a reservation never confirmed is dropped then (it never left).

Recording an answer later than it came is always safe: a later answer only moves bounds later.
So inside ``answers_batched()`` (a sync job's run) ``done`` holds its ticket, and the next
``take`` on the same bucket records that answer and reserves in one round trip; whatever is still
held is recorded before ``take`` sleeps, before the caller's other sleeps (``flush_answers``) and
when the block ends. A process that dies holding one is covered by the call's lease, as a
``done`` never sent is.

``acquire`` is the bare token of a call that answers at its grant (the rule before answer times,
with no allowance for lateness): tests filling a bucket, the overhead benchmark.

With ``REDIS_URL`` the state lives in Redis (one hash per bucket, one Lua script, Redis's clock,
keys expire). Without it (the embedded default: one machine, several processes) a JSON file per
key under ``VAR_DIR/ratelimit`` is read and written under an exclusive ``fcntl.flock``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import redis

from connectors.base import RateLimit
from connectors.locked_files import FileStore, shared_backend
from connectors.ratelimit_lua import SCRIPT

__all__ = [
    "RateLimited", "Ticket", "Unavailable", "acquire", "answers_batched", "defer", "done",
    "flush_answers", "peek", "reset", "reset_all", "take",
]  # fmt: skip

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    """Taking a token would mean waiting ``retry_after`` seconds, more than the caller may."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.3f}s")
        self.retry_after = retry_after


class Unavailable(Exception):
    """The shared bucket store (Redis, or the state directory) cannot be reached."""


@dataclass(frozen=True)
class Ticket:
    """A call's place in bucket ``key``: give it to ``done`` when the answer is in."""

    key: str
    limit: RateLimit
    seq: int
    waited: float


@dataclass(frozen=True)
class _Reply:
    ok: bool
    wait: float
    seq: int = -1
    exact: bool = True  # reserve: the grant is final; confirm: the reservation is still held


def take(
    key: str,
    limit: RateLimit,
    *,
    max_wait: float,
    lease: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Ticket:
    """Reserve a slot in bucket ``key`` and sleep until the call may leave; the caller sends
    it and then calls ``done``. ``lease`` bounds how long after its grant the call can still
    reach the vendor (waits, connect and send timeouts): a ticket never done counts as
    answered then.

    Raises ``RateLimited`` (holding nothing) when the slot is more than ``max_wait`` seconds
    away; a caller whose grant was the earliest possible waits at most one more window for
    the calls ahead of it to answer.
    """
    _check(limit)
    if lease <= 0:
        raise ValueError(f"a lease must be > 0: {lease}")
    answered = _held_answer(key)
    reply = _call(
        lambda b: b.reserve(key, limit, max(0.0, max_wait), lease, instant=False, answered=answered)
    )
    if not reply.ok:
        raise RateLimited(reply.wait)
    seq, waited, wait, exact = reply.seq, 0.0, reply.wait, reply.exact
    while True:
        if wait > 0:
            flush_answers()
            sleep(wait)
            waited += wait
        if exact:
            return Ticket(key, limit, seq, waited)
        answer = _call(lambda b: b.confirm(key, limit, seq, lease))
        if not answer.exact:  # dropped: slept past its lease
            raise RateLimited(0.0)
        exact, wait = answer.ok, answer.wait
        if not exact and waited + wait > max_wait + limit.per_seconds:
            _call(lambda b: b.cancel(key, limit, seq))
            raise RateLimited(wait)


def done(ticket: Ticket) -> None:
    """The call of ``ticket`` has its answer (or failed, or was never sent): its slot comes
    back a window from now, or inside ``answers_batched()`` a window from when the answer is
    recorded (the next ``take`` on its bucket, or ``flush_answers``)."""
    held = _held.get()
    if held is not None:
        held.append(ticket)
        return
    _answer(ticket)


@contextmanager
def answers_batched() -> Iterator[None]:
    """Hold the answers ``done`` gets in this block until they can ride with the next ``take``
    on their bucket; those left are recorded on exit. Nested blocks share the outer one."""
    if _held.get() is not None:
        yield
        return
    token = _held.set([])
    try:
        yield
    finally:
        try:
            flush_answers()
        finally:
            _held.reset(token)


def flush_answers() -> None:
    """Record every answer held by ``answers_batched()`` now (before a sleep: a slot must not
    stay out while its process waits). A store that cannot be reached leaves it to the lease."""
    held = _held.get()
    while held:
        try:
            _answer(held.pop(0))
        except Unavailable:
            logger.warning("could not record a rate-limit answer (its lease will)")


def _answer(ticket: Ticket) -> None:
    _call(lambda b: b.done(ticket.key, ticket.limit, ticket.seq))


# The tickets ``done`` holds inside ``answers_batched()``; None outside one.
_held: ContextVar[list[Ticket] | None] = ContextVar("ratelimit_answers", default=None)


def _held_answer(key: str) -> int:
    """Take a held ticket of bucket ``key`` off the list, for ``take`` to record its answer
    with the reservation; its sequence number, or -1 if none is held."""
    held = _held.get()
    if held:
        for i, ticket in enumerate(held):
            if ticket.key == key:
                return held.pop(i).seq
    return -1


def acquire(
    key: str,
    limit: RateLimit,
    *,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Take one token from bucket ``key`` for a call that answers at its grant (nothing to
    report later), sleeping until it is ours; returns seconds waited.

    Raises ``RateLimited`` (and reserves nothing) when the token would come later than
    ``max_wait`` seconds from now.
    """
    _check(limit)
    reply = _call(
        lambda b: b.reserve(key, limit, max(0.0, max_wait), 0.0, instant=True, answered=-1)
    )
    if not reply.ok:
        raise RateLimited(reply.wait)
    if reply.wait > 0:
        sleep(reply.wait)
    return reply.wait


def defer(key: str, limit: RateLimit, seconds: float) -> None:
    """Hold bucket ``key`` shut for ``seconds`` (the vendor said so in a 429): every later
    reservation is granted no sooner."""
    _check(limit)
    _call(lambda b: b.defer(key, limit, max(0.0, seconds)))


def peek(key: str, limit: RateLimit) -> int:
    """How many tokens could be taken right now without waiting (for tests and the console)."""
    return _backend().peek(key, limit)


def reset(key: str) -> None:
    """Forget bucket ``key`` (tests; an operator clearing a stuck bucket)."""
    _backend().reset(key)


def reset_all() -> None:
    """Forget every bucket (tests start from empty buckets; staff may after changing limits)."""
    _backend().reset_all()


def _check(limit: RateLimit) -> None:
    if limit.requests < 1 or limit.per_seconds <= 0:
        raise ValueError(f"a rate limit needs requests >= 1 and a window > 0: {limit!r}")


def _call(op: Callable[[_RedisBuckets | _FileBuckets], _Reply]) -> _Reply:
    try:
        return op(_backend())
    except (OSError, redis.RedisError) as exc:
        raise Unavailable(f"rate-limit store unavailable: {type(exc).__name__}") from exc


# --- the rule, in Python (the file backend; ratelimit_lua.py is the same for Redis) ---------


class Bucket:
    """One bucket's state: calls ``lo`` .. ``n - 1`` still open, each a record
    ``[state, grant, deadline, answered]`` (state "w" reserved and waiting to confirm, "s"
    sent, "d" done, "x" withdrawn), and for the last ``requests`` settled calls the latest
    answer among all calls up to each (``top``)."""

    def __init__(self, stored: object, limit: RateLimit) -> None:
        state: dict[str, Any] = stored if isinstance(stored, dict) and "n" in stored else {}
        self.q, self.window = limit.requests, float(limit.per_seconds)
        self.n, self.lo = int(state.get("n", 0)), int(state.get("lo", 0))
        self.last, self.hold = float(state.get("last", 0.0)), float(state.get("hold", 0.0))
        self.top = float(state.get("top", 0.0))
        self.tlo = int(state.get("tlo", 0))  # the oldest call whose ``tops`` entry is kept
        self.open: dict[int, list] = {int(k): v for k, v in state.get("open", {}).items()}
        self.tops: dict[int, float] = {int(k): v for k, v in state.get("tops", {}).items()}

    def stored(self) -> dict[str, Any]:
        return {"n": self.n, "lo": self.lo, "last": self.last, "hold": self.hold,
                "top": self.top, "tlo": self.tlo, "open": self.open, "tops": self.tops}  # fmt: skip

    def settle(self, now: float) -> None:
        """Close the oldest open calls that have answered, or whose lease has run out."""
        while self.lo < self.n:
            state, _, deadline, answered = self.open.get(self.lo, ["d", 0.0, now, now])
            if state == "d":
                self.top = max(self.top, answered)
            elif state == "s" and deadline <= now:
                self.top = max(self.top, deadline)  # it can have arrived no later
            elif state != "x" and deadline > now:
                break  # still out, or a reservation still to be confirmed
            self.tops[self.lo] = self.top
            self.open.pop(self.lo, None)
            self.tops.pop(self.lo - self.q, None)
            self.tlo = max(self.tlo, self.lo - self.q + 1)
            self.lo += 1

    def bound(self, m: int, now: float) -> tuple[bool, float]:
        """(final, time): when call ``m`` may leave, or the earliest it can be while a call
        it depends on is still out (that call answers after now, and after its own grant)."""
        j = m - self.q
        if j < 0:
            return True, 0.0
        if j < self.lo:
            # Below the kept range (the limit was raised): the oldest kept answer bounds it.
            return True, self.tops.get(max(j, self.tlo), self.top) + self.window
        record = self.open.get(j)
        return False, max(now, record[1] if record else now) + self.window

    def reserve(self, now: float, max_wait: float, lease: float, instant: bool) -> _Reply:
        final, at = self.bound(self.n, now)
        grant = max(now, self.last, self.hold, at)
        if grant - now > max_wait:
            return _Reply(False, grant - now)
        state = "d" if instant else ("s" if final else "w")
        self.open[self.n] = [state, grant, grant + lease, grant]
        self.n, self.last = self.n + 1, grant
        return _Reply(True, grant - now, self.n - 1, final)

    def confirm(self, seq: int, now: float, lease: float) -> _Reply:
        record = self.open.get(seq)
        if record is None or record[0] == "x":
            return _Reply(False, 0.0, seq, exact=False)
        if record[0] != "w":
            return _Reply(True, 0.0, seq)
        final, at = self.bound(seq, now)
        if final and at <= now:
            self.open[seq] = ["s", record[1], now + lease, 0.0]
            return _Reply(True, 0.0, seq)
        wait = at - now if final else self.window
        self.open[seq] = ["w", record[1], now + wait + lease, 0.0]
        return _Reply(False, wait, seq)

    def finish(self, seq: int, now: float, state: str) -> _Reply:
        """``done`` ("d": answered now) or ``cancel`` ("x": a reservation never sent)."""
        record = self.open.get(seq)
        if record is not None and (record[0] == "w" or (record[0] == "s" and state == "d")):
            self.open[seq] = [state, record[1], record[2], now]
        return _Reply(True, 0.0, seq)

    def free_now(self, now: float) -> int:
        if max(self.last, self.hold) > now:
            return 0
        free = 0
        while free < self.q:
            final, at = self.bound(self.n + free, now)
            if not final or at > now:
                break
            free += 1
        return free


# --- Redis ----------------------------------------------------------------------------------


class _RedisBuckets:
    """Buckets as Redis hashes, changed only inside one Lua script (``ratelimit_lua``)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(SCRIPT)

    def _run(
        self,
        key: str,
        limit: RateLimit,
        op: str,
        arg: float,
        lease: float = 0.0,
        answered: int = -1,
    ) -> _Reply:
        ok, wait, seq, flag = self.script(
            keys=[key], args=[limit.requests, limit.per_seconds, op, arg, lease, answered]
        )
        return _Reply(bool(ok), float(wait), int(seq), bool(flag))

    def reserve(
        self,
        key: str,
        limit: RateLimit,
        max_wait: float,
        lease: float,
        *,
        instant: bool,
        answered: int,
    ) -> _Reply:
        op = "instant" if instant else "reserve"
        return self._run(key, limit, op, max_wait, lease, answered)

    def confirm(self, key: str, limit: RateLimit, seq: int, lease: float) -> _Reply:
        return self._run(key, limit, "confirm", seq, lease)

    def done(self, key: str, limit: RateLimit, seq: int) -> _Reply:
        return self._run(key, limit, "done", seq)

    def cancel(self, key: str, limit: RateLimit, seq: int) -> _Reply:
        return self._run(key, limit, "cancel", seq)

    def defer(self, key: str, limit: RateLimit, seconds: float) -> _Reply:
        return self._run(key, limit, "defer", seconds)

    def peek(self, key: str, limit: RateLimit) -> int:
        return self._run(key, limit, "peek", 0.0).seq

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

    def _with(self, key: str, limit: RateLimit, op: Callable[[Bucket, float], _Reply]) -> _Reply:
        out: list[_Reply] = []

        def on_file(stored: object, now: float) -> dict[str, Any]:
            bucket = Bucket(stored, limit)
            bucket.settle(now)
            out.append(op(bucket, now))
            bucket.settle(now)
            return bucket.stored()

        self.files.update(key, on_file)
        return out[0]

    def reserve(
        self,
        key: str,
        limit: RateLimit,
        max_wait: float,
        lease: float,
        *,
        instant: bool,
        answered: int,
    ) -> _Reply:
        def op(bucket: Bucket, now: float) -> _Reply:
            if answered >= 0:  # as ``done`` then ``reserve`` at one instant
                bucket.finish(answered, now, "d")
                bucket.settle(now)
            return bucket.reserve(now, max_wait, lease, instant)

        return self._with(key, limit, op)

    def confirm(self, key: str, limit: RateLimit, seq: int, lease: float) -> _Reply:
        return self._with(key, limit, lambda b, now: b.confirm(seq, now, lease))

    def done(self, key: str, limit: RateLimit, seq: int) -> _Reply:
        return self._with(key, limit, lambda b, now: b.finish(seq, now, "d"))

    def cancel(self, key: str, limit: RateLimit, seq: int) -> _Reply:
        return self._with(key, limit, lambda b, now: b.finish(seq, now, "x"))

    def defer(self, key: str, limit: RateLimit, seconds: float) -> _Reply:
        def hold(bucket: Bucket, now: float) -> _Reply:
            bucket.hold = max(bucket.hold, now + seconds)
            return _Reply(True, 0.0)

        return self._with(key, limit, hold)

    def peek(self, key: str, limit: RateLimit) -> int:
        return self._with(key, limit, lambda b, now: _Reply(True, 0.0, b.free_now(now))).seq


# --- backend choice -------------------------------------------------------------------------


def _backend() -> _RedisBuckets | _FileBuckets:
    """Redis when ``REDIS_URL`` is set, else files under ``VAR_DIR/ratelimit``."""
    return shared_backend("ratelimit", _RedisBuckets, _FileBuckets)
