"""Per-connection locks shared by every process: one token refresh at a time, one change to a
vendor's own settings (Pipedrive labels) at a time.

Redis (``SET NX`` with a TTL, so a killed holder frees it) when configured; else an advisory
lock on PostgreSQL (released by the server if the holder's session dies); else an OS file lock
on SQLite (released by the kernel if the holder dies). None of them is a row lock: what the
holder writes meanwhile (a rotated refresh token, say) is never rolled back with the lock.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection as db_connection
from filelock import FileLock, Timeout

log = logging.getLogger(__name__)

# PostgreSQL advisory-lock key space of each purpose (the second key is the connection's pk).
PG_NAMESPACES = {"refresh": 0x5B0A, "labels": 0x5B0B}
POLL_S = 0.05


@contextmanager
def try_lock(pk: int, purpose: str, *, ttl: float) -> Iterator[bool]:
    """Try once to take connection ``pk``'s ``purpose`` lock; yields whether it was acquired.

    ``ttl`` bounds how long a Redis lock outlives a holder that died (longer than the work)."""
    if settings.REDIS_URL:
        with _redis_lock(pk, purpose, ttl) as acquired:
            yield acquired
        return
    if db_connection.vendor == "sqlite":
        path = settings.VAR_DIR / "locks" / f"connection-{purpose}-{pk}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), timeout=0, thread_local=False, is_singleton=False)
        try:
            lock.acquire()
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()
        return
    namespace = PG_NAMESPACES[purpose]
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, pk])
        acquired = bool(cursor.fetchone()[0])
    if not acquired:
        yield False
        return
    try:
        yield True
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, pk])


@contextmanager
def lock(pk: int, purpose: str, *, ttl: float, wait: float) -> Iterator[bool]:
    """Take the lock, polling for up to ``wait`` seconds; yields whether it was acquired."""
    deadline = time.monotonic() + wait
    while True:
        with try_lock(pk, purpose, ttl=ttl) as acquired:
            if acquired or time.monotonic() > deadline:
                yield acquired
                return
        pause()


def pause() -> None:
    """Wait before asking a busy lock again (jittered, so waiters do not ask in step)."""
    time.sleep(POLL_S + random.random() * POLL_S)


@lru_cache(maxsize=4)
def _redis_client(url: str) -> Any:
    """One client (and connection pool) per process, not a new connection per try: a waiter
    asks every 50-100 ms. redis-py's pool starts afresh in a forked child."""
    import redis

    return redis.Redis.from_url(url)


@contextmanager
def _redis_lock(pk: int, purpose: str, ttl: float) -> Iterator[bool]:
    import redis

    held = _redis_client(settings.REDIS_URL).lock(f"sb:connection-{purpose}:{pk}", timeout=ttl)
    if not held.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        try:
            held.release()
        except redis.exceptions.LockError:
            log.warning("%s lock of connection %s expired while held", purpose, pk)
