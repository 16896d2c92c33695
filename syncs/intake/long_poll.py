"""Bounds on open long-polls (``GET /api/v1/events/{id}?wait=N``).

A waiting request holds a server thread (and its database connection) for up to
``SYNC_WAIT_MAX_SECONDS``. Three parallel waits with one key once held all three sync workers
of the web tier, so ``/healthz`` took 29 s. Now the web tier runs threaded workers
(``agency/gunicorn_conf.py``), and at most ``SYNC_WAIT_MAX_PER_PROCESS`` requests of a
process and ``SYNC_WAIT_MAX_PER_KEY`` requests of one API key wait at once. The per-key count
is kept in the shared cache over every process, exact on every backend
(``common.counters``: Redis's atomic INCR, or a file lock around the file cache's read and write).
A request over either bound is answered at once with the event's current status and a
``Retry-After`` header, so other routes always find a free thread.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from common.counters import add_to_counter


class _ProcessSlots:
    """A counter of this process's open waits; the bound is read per call (settings change
    in tests)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0

    def take(self) -> bool:
        with self.lock:
            if self.open >= settings.SYNC_WAIT_MAX_PER_PROCESS:
                return False
            self.open += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.open -= 1


_process = _ProcessSlots()


def retry_after() -> int:
    """Seconds a client over a bound is asked to wait: spread over [base, 2 x base], so the
    clients refused in one burst do not all come back in the same second."""
    base = settings.SYNC_WAIT_RETRY_AFTER_SECONDS
    return random.randint(base, 2 * base)  # spreading load, not a secret


def key_counter(key_hash: str) -> str:
    return f"wait:open:{key_hash}"


def open_in_process() -> int:
    """Waits open in this process now (for tests and the benchmark's reading)."""
    return _process.open


@contextmanager
def wait_slot(key_hash: str) -> Iterator[bool]:
    """Yields True when the caller may wait, False when a bound is reached (answer now).

    The per-key counter expires ``SYNC_WAIT_MAX_SECONDS`` plus a margin after its last taker,
    so a process killed while waiting cannot hold a slot for longer than one wait.
    """
    if not _process.take():
        yield False
        return
    try:
        if not _take_key_slot(key_hash):
            yield False
            return
        try:
            yield True
        finally:
            _release_key_slot(key_hash)
    finally:
        _process.release()


def _take_key_slot(key_hash: str) -> bool:
    taken = add_to_counter(key_counter(key_hash), 1, timeout=_counter_ttl())
    cache.touch(key_counter(key_hash), _counter_ttl())
    if taken is not None and taken > settings.SYNC_WAIT_MAX_PER_KEY:
        _release_key_slot(key_hash)
        return False
    return True


def _release_key_slot(key_hash: str) -> None:
    # An expired counter has nothing left to release (create=False).
    add_to_counter(key_counter(key_hash), -1, timeout=_counter_ttl(), create=False)


def _counter_ttl() -> int:
    return settings.SYNC_WAIT_MAX_SECONDS + 10
