"""A task sent through the configured broker runs in a real worker process."""

from __future__ import annotations

import uuid

import pytest

from agency.models import WorkerHeartbeat
from agency.tasks import heartbeat

from ..worker import celery_worker, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_it_runs_a_task_in_a_real_worker():
    purge_broker()
    nonce = uuid.uuid4().hex
    with celery_worker(name="heartbeat"):
        heartbeat.delay(nonce)
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(nonce=nonce).first(), timeout=60)
    assert row.hostname


def test_the_task_waits_for_a_worker_and_is_not_lost():
    """A message published while no worker runs is delivered once a worker starts."""
    purge_broker()
    nonce = uuid.uuid4().hex
    heartbeat.delay(nonce)
    assert not WorkerHeartbeat.objects.filter(nonce=nonce).exists()
    with celery_worker(name="late"):
        wait_for(lambda: WorkerHeartbeat.objects.filter(nonce=nonce).exists(), timeout=60)
    assert WorkerHeartbeat.objects.filter(nonce=nonce).count() == 1


def _worker_backends() -> set[int]:
    """PostgreSQL backends on the test database other than this test's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def test_a_worker_keeps_its_database_connection_across_tasks():
    """Celery's Django fixup would close it around every task (a new PostgreSQL backend per
    task); CELERY_DB_REUSE_MAX and agency.celery keep it while it is healthy and young."""
    from django.db import connection

    from ..conftest import require

    require(connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")
    purge_broker()
    with celery_worker(concurrency=1, name="reuse"):
        first = uuid.uuid4().hex
        heartbeat.delay(first)
        wait_for(lambda: WorkerHeartbeat.objects.filter(nonce=first).exists(), timeout=60)
        seen = wait_for(_worker_backends, timeout=10)
        nonces = [uuid.uuid4().hex for _ in range(4)]
        for nonce in nonces:
            heartbeat.delay(nonce)
        wait_for(
            lambda: WorkerHeartbeat.objects.filter(nonce__in=nonces).count() == len(nonces),
            timeout=60,
        )
        assert seen & _worker_backends(), "the worker's connection was closed between tasks"
