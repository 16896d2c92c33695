"""Per-connection locks (connectors.locks): one holder per connection and purpose, on Redis
and on PostgreSQL, and a waiter that gives up after its wait."""

from __future__ import annotations

import threading

import pytest
from django import db

from connectors import locks
from tests.conftest import require

TTL = 5


def _held_elsewhere(pk: int, purpose: str, release: threading.Event, taken: threading.Event):
    """A thread (its own database session) that holds the lock until ``release`` is set."""

    def hold() -> None:
        try:
            with locks.try_lock(pk, purpose, ttl=TTL) as acquired:
                assert acquired
                taken.set()
                release.wait(10)
        finally:
            db.connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    return thread


@pytest.mark.parametrize("backend", ["redis", "postgresql"])
@pytest.mark.django_db(transaction=True)
def test_one_holder_per_connection_and_purpose(settings, backend):
    if backend == "redis":
        require(bool(settings.REDIS_URL), "needs REDIS_URL")
    else:
        require(db.connection.vendor == "postgresql", "needs DATABASE_URL=postgres://...")
        settings.REDIS_URL = ""  # the advisory lock
    release, taken = threading.Event(), threading.Event()
    holder = _held_elsewhere(4242, "labels", release, taken)
    try:
        with locks.lock(4242, "labels", ttl=TTL, wait=0.3) as acquired:
            assert not acquired  # gave up after its wait
        with locks.try_lock(4242, "refresh", ttl=TTL) as acquired:
            assert acquired  # another purpose is another lock
        with locks.try_lock(4243, "labels", ttl=TTL) as acquired:
            assert acquired  # and another connection
    finally:
        release.set()
        holder.join()
    with locks.lock(4242, "labels", ttl=TTL, wait=1) as acquired:
        assert acquired


@pytest.mark.django_db(transaction=True)
def test_a_waiter_gets_the_lock_when_the_holder_lets_go(settings):
    require(bool(settings.REDIS_URL), "needs REDIS_URL")
    release, taken = threading.Event(), threading.Event()
    holder = _held_elsewhere(4244, "labels", release, taken)
    threading.Timer(0.3, release.set).start()
    with locks.lock(4244, "labels", ttl=TTL, wait=5) as acquired:
        assert acquired
    holder.join()


@pytest.mark.django_db
def test_tries_share_one_redis_connection(settings):
    """A waiter asks every 50-100 ms: each try must not open a new connection to Redis."""
    require(bool(settings.REDIS_URL), "needs REDIS_URL")
    import redis

    observer = redis.Redis.from_url(settings.REDIS_URL)
    with locks.try_lock(4245, "labels", ttl=TTL):
        pass  # the process's client is connected from here on
    opened = observer.info("stats")["total_connections_received"]
    for _ in range(20):
        with locks.try_lock(4245, "labels", ttl=TTL) as acquired:
            assert acquired
    assert observer.info("stats")["total_connections_received"] == opened
    observer.close()
