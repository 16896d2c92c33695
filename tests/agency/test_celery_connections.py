"""Database connections at task boundaries (agency.celery._recycle_connections)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from agency.celery import _recycle_connections
from agency.models import WorkerHeartbeat
from agency.tasks import heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_young_healthy_connection_is_kept_for_the_next_task():
    connection.ensure_connection()
    raw = connection.connection
    connection.close_at = time.monotonic() + 60  # CONN_MAX_AGE not reached
    _recycle_connections(task=heartbeat)
    assert connection.connection is raw


def test_a_connection_past_its_max_age_is_closed():
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1
    _recycle_connections(task=heartbeat)
    assert connection.connection is None


def test_an_eager_task_leaves_its_callers_transaction_open():
    with transaction.atomic():
        WorkerHeartbeat.objects.create(nonce="before")
        heartbeat.apply(args=("eager",))
        WorkerHeartbeat.objects.create(nonce="after")
    assert WorkerHeartbeat.objects.filter(nonce__in=["before", "eager", "after"]).count() == 3
