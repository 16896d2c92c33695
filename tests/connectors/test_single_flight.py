"""Fifty concurrent calls on one expired connection: exactly one refresh reaches the vendor.

Outlook rotates refresh tokens and its emulator revokes the whole grant when a rotated token
is presented again, so a second refresh would also show up as a revoked grant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db
from django.db import connections
from django.utils import timezone

from connectors import registry, tokens
from connectors.http import VendorHttp
from connectors.models import Connection
from emulators import control
from emulators.auth import account_for_token
from emulators.models import EmulatorGrant, EmulatorToken

from ..conftest import close_kept_alive_sessions, require
from .test_tokens import connected, expire

ROOT = Path(__file__).resolve().parents[2]


def through_http(connection: Connection) -> str:
    """One vendor call through the real HTTP layer; returns the account Graph reports."""
    http = VendorHttp(
        connection, spec=registry.get_spec("outlook"), base_url=registry.api_base_for(connection)
    )
    return http.request("GET", "/v1.0/me").json()["id"]


def hammer(pk: int, threads: int = 50) -> tuple[list[str], list[str]]:
    barrier = threading.Barrier(threads, timeout=60)  # see the HTTP-layer test below
    got: list[str] = []
    errors: list[str] = []

    def work() -> None:
        try:
            connection = Connection.objects.get(pk=pk)
            barrier.wait()
            got.append(tokens.access_token(connection))
        except Exception as exc:
            barrier.abort()
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            close_kept_alive_sessions()
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return got, errors


def prepared(dance, world) -> tuple[Connection, int]:
    connection = expire(connected(dance, world, "outlook"))
    control.configure("outlook", latency_s=0.2)  # widen the race window
    return connection, control.token_calls("outlook")


def test_fifty_threads_cause_exactly_one_refresh(dance, world):
    connection, calls = prepared(dance, world)
    got, errors = hammer(connection.pk)
    assert errors == []
    assert len(got) == 50 and len(set(got)) == 1
    assert control.token_calls("outlook") == calls + 1
    assert EmulatorGrant.objects.get(provider="outlook").revoked_at is None
    assert account_for_token("outlook", got[0]) is not None


def test_fifty_calls_through_the_http_layer_cause_exactly_one_refresh(dance, world):
    connection, calls = prepared(dance, world)
    account = EmulatorGrant.objects.get(provider="outlook").account_id
    # A timeout, so a thread that fails before the barrier (e.g. no database connection left)
    # fails the test instead of leaving the other 49 waiting for ever.
    barrier = threading.Barrier(50, timeout=60)
    seen: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            row = Connection.objects.get(pk=connection.pk)
            barrier.wait()
            seen.append(through_http(row))
        except BaseException as exc:
            barrier.abort()
            errors.append(exc)
        finally:
            close_kept_alive_sessions()
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(50)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert seen == [account] * 50
    assert control.token_calls("outlook") == calls + 1
    assert EmulatorGrant.objects.get(provider="outlook").revoked_at is None


def test_a_401_refreshes_once_and_retries(dance, world):
    connection = connected(dance, world, "outlook")
    EmulatorToken.objects.filter(kind="access").update(revoked_at=timezone.now())
    calls = control.token_calls("outlook")
    assert through_http(connection) == EmulatorGrant.objects.get(provider="outlook").account_id
    assert control.token_calls("outlook") == calls + 1


def test_without_the_lock_the_race_is_visible(dance, world, monkeypatch):
    """Negative control: the same test with the lock switched off sees several refreshes."""
    connection, calls = prepared(dance, world)
    monkeypatch.setattr(tokens, "_try_lock", lambda pk: nullcontext(True))
    hammer(connection.pk, threads=20)
    grant = EmulatorGrant.objects.get(provider="outlook")
    assert control.token_calls("outlook") > calls + 1 or grant.revoked_at is not None


def _database_url() -> str:
    info = db.settings_dict
    if db.vendor == "sqlite":
        return f"sqlite:///{info['NAME']}"
    return f"postgres://{info['USER']}@{info['HOST']}:{info['PORT'] or 5432}/{info['NAME']}"


def _across_processes(connection: Connection, processes: int = 4, threads: int = 13):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "VENDOR_BASE_URL": settings.VENDOR_BASE_URL,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [sys.executable, "-m", "tests.connectors.refresh_worker", str(connection.pk)]
    running = [
        subprocess.Popen([*command, str(threads)], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(processes)
    ]
    results = [
        json.loads(p.communicate(timeout=120)[0].decode().strip().splitlines()[-1]) for p in running
    ]
    return [t for r in results for t in r["tokens"]], [e for r in results for e in r["errors"]]


def test_fifty_calls_in_four_processes_cause_exactly_one_refresh(dance, world):
    connection, calls = prepared(dance, world)
    got, errors = _across_processes(connection)
    assert errors == []
    assert len(got) == 52 and len(set(got)) == 1
    assert control.token_calls("outlook") == calls + 1
    assert EmulatorGrant.objects.get(provider="outlook").revoked_at is None


def test_single_flight_holds_on_postgres_and_redis(dance, world):
    require(db.vendor == "postgresql", "needs DATABASE_URL=postgres://...")
    require(bool(settings.REDIS_URL), "needs REDIS_URL (the Redis refresh lock)")
    connection, calls = prepared(dance, world)
    got, errors = _across_processes(connection, processes=5, threads=10)
    assert errors == [] and len(got) == 50 and len(set(got)) == 1
    assert control.token_calls("outlook") == calls + 1
    assert EmulatorGrant.objects.get(provider="outlook").revoked_at is None


@pytest.mark.parametrize("ttl", [1])
def test_a_killed_lock_holder_frees_the_redis_lock_within_its_ttl(settings, ttl, monkeypatch):
    require(bool(settings.REDIS_URL), "needs REDIS_URL (the Redis refresh lock)")
    import redis

    monkeypatch.setattr(tokens, "LOCK_TTL_S", ttl)
    client = redis.Redis.from_url(settings.REDIS_URL)
    held = client.lock("sb:connection-refresh:987654", timeout=ttl)
    assert held.acquire(blocking=False)  # a holder that then dies without releasing
    with tokens._try_lock(987654) as acquired:
        assert not acquired
    time.sleep(ttl + 0.2)
    with tokens._try_lock(987654) as acquired:
        assert acquired  # freed by its TTL
